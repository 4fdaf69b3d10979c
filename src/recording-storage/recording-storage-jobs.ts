import type { JobDefinition } from '../lib/job.js';
import { RECORDING_DELIVERIES_JOB, runRecordingDeliveries, type RecordingDeliveryDeps } from './recording-delivery.js';

/** Every minute: recordings due for delivery to their organisation's own store (with backoff). */
export const recordingDeliveriesJob: JobDefinition<{ recordingDeliveries: RecordingDeliveryDeps }> = {
  name: RECORDING_DELIVERIES_JOB,
  schedule: '* * * * *',
  run: (services) => runRecordingDeliveries(services.recordingDeliveries),
};
