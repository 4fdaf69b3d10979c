import type { Lang } from './messages.js';

/** The recording storage page's texts (English defines the shape; German and Polish follow it). */
export const en = {
  title: 'Recording storage',
  intro:
    'Recordings can be delivered to S3-compatible storage your organisation controls (your region, your keys, your retention). Each recording is uploaded with its SHA-256 checked in transit and confirmed after the upload; only then is the copy at Twilio deleted. Retention and erasure delete the copy in your storage too.',
  off: 'Recording storage is not available on this installation: the operator has not configured its encryption keys (STORAGE_KEYS).',
  memberReadOnly: 'Only owners and admins can change where recordings are delivered; you can see the settings.',
  notConfigured: 'No storage is configured: recordings stay at Twilio until the retention window ends.',
  endpoint: 'Endpoint (URL)',
  endpointHint: 'https:// on a public address, e.g. https://s3.eu-central-1.amazonaws.com.',
  region: 'Region',
  bucket: 'Bucket',
  prefix: 'Key prefix (optional, ending in /)',
  accessKeyId: 'Access key id',
  secret: 'Secret access key',
  secretSet: 'A secret access key is stored (encrypted). Leave the field empty to keep it.',
  secretNotSet: 'Required the first time.',
  forcePathStyle: 'Path-style addresses (endpoint/bucket/key), for S3-compatible stores other than AWS',
  save: 'Test the connection and save',
  saved: 'Saved: a test object was written, read back and deleted.',
  removed: 'Storage removed: new recordings stay at Twilio.',
  remove: 'Remove the storage',
  invalid: 'Nothing was saved: check the fields (bucket names use a-z, 0-9, . and -; the prefix is empty or ends in /).',
  checkFailed: 'Nothing was saved: the connection test failed at step “{step}”. Check the endpoint, bucket, region and credentials.',
  secretRequired: 'Nothing was saved: enter the secret access key.',
  updatedAt: 'Last changed',
};

export type RecordingStorageMessages = typeof en;

export const de: RecordingStorageMessages = {
  title: 'Aufnahmespeicher',
  intro:
    'Aufnahmen können in einen S3-kompatiblen Speicher geliefert werden, den Ihre Organisation kontrolliert (Ihre Region, Ihre Schlüssel, Ihre Aufbewahrung). Jede Aufnahme wird mit ihrer SHA-256-Prüfsumme hochgeladen und nach dem Hochladen bestätigt; erst dann wird die Kopie bei Twilio gelöscht. Aufbewahrungsfrist und Löschanträge löschen auch die Kopie in Ihrem Speicher.',
  off: 'Der Aufnahmespeicher ist auf dieser Installation nicht verfügbar: Der Betreiber hat die Schlüssel (STORAGE_KEYS) nicht eingerichtet.',
  memberReadOnly: 'Nur Inhaber und Admins können ändern, wohin Aufnahmen geliefert werden; Sie sehen die Einstellungen.',
  notConfigured: 'Kein Speicher eingerichtet: Aufnahmen bleiben bei Twilio, bis die Aufbewahrungsfrist endet.',
  endpoint: 'Endpunkt (URL)',
  endpointHint: 'https:// an einer öffentlichen Adresse, z. B. https://s3.eu-central-1.amazonaws.com.',
  region: 'Region',
  bucket: 'Bucket',
  prefix: 'Schlüssel-Präfix (optional, endet mit /)',
  accessKeyId: 'Zugriffsschlüssel-ID',
  secret: 'Geheimer Zugriffsschlüssel',
  secretSet: 'Ein geheimer Zugriffsschlüssel ist (verschlüsselt) gespeichert. Lassen Sie das Feld leer, um ihn zu behalten.',
  secretNotSet: 'Beim ersten Mal erforderlich.',
  forcePathStyle: 'Pfad-Adressen (Endpunkt/Bucket/Schlüssel), für S3-kompatible Speicher außer AWS',
  save: 'Verbindung testen und speichern',
  saved: 'Gespeichert: Ein Testobjekt wurde geschrieben, zurückgelesen und gelöscht.',
  removed: 'Speicher entfernt: Neue Aufnahmen bleiben bei Twilio.',
  remove: 'Speicher entfernen',
  invalid: 'Nichts gespeichert: Prüfen Sie die Felder (Bucket-Namen aus a-z, 0-9, . und -; das Präfix ist leer oder endet mit /).',
  checkFailed: 'Nichts gespeichert: Der Verbindungstest ist beim Schritt „{step}“ fehlgeschlagen. Prüfen Sie Endpunkt, Bucket, Region und Zugangsdaten.',
  secretRequired: 'Nichts gespeichert: Geben Sie den geheimen Zugriffsschlüssel ein.',
  updatedAt: 'Zuletzt geändert',
};

export const pl: RecordingStorageMessages = {
  title: 'Magazyn nagrań',
  intro:
    'Nagrania mogą być dostarczane do magazynu zgodnego z S3, który kontroluje Twoja organizacja (Twój region, Twoje klucze, Twoja retencja). Każde nagranie jest przesyłane z sumą kontrolną SHA-256 i potwierdzane po przesłaniu; dopiero wtedy kopia w Twilio jest usuwana. Okres retencji i żądania usunięcia usuwają też kopię w Twoim magazynie.',
  off: 'Magazyn nagrań nie jest dostępny w tej instalacji: operator nie skonfigurował kluczy (STORAGE_KEYS).',
  memberReadOnly: 'Tylko właściciele i administratorzy mogą zmienić miejsce dostarczania nagrań; możesz zobaczyć ustawienia.',
  notConfigured: 'Nie skonfigurowano magazynu: nagrania pozostają w Twilio do końca okresu retencji.',
  endpoint: 'Punkt końcowy (URL)',
  endpointHint: 'https:// pod adresem publicznym, np. https://s3.eu-central-1.amazonaws.com.',
  region: 'Region',
  bucket: 'Bucket',
  prefix: 'Prefiks kluczy (opcjonalny, zakończony /)',
  accessKeyId: 'Identyfikator klucza dostępu',
  secret: 'Tajny klucz dostępu',
  secretSet: 'Tajny klucz dostępu jest zapisany (zaszyfrowany). Pozostaw pole puste, aby go zachować.',
  secretNotSet: 'Wymagany za pierwszym razem.',
  forcePathStyle: 'Adresy w stylu ścieżki (punkt końcowy/bucket/klucz), dla magazynów zgodnych z S3 innych niż AWS',
  save: 'Przetestuj połączenie i zapisz',
  saved: 'Zapisano: obiekt testowy został zapisany, odczytany i usunięty.',
  removed: 'Magazyn usunięty: nowe nagrania pozostają w Twilio.',
  remove: 'Usuń magazyn',
  invalid: 'Nic nie zapisano: sprawdź pola (nazwy bucketów z a-z, 0-9, . i -; prefiks jest pusty lub kończy się /).',
  checkFailed: 'Nic nie zapisano: test połączenia nie powiódł się na kroku „{step}”. Sprawdź punkt końcowy, bucket, region i dane dostępowe.',
  secretRequired: 'Nic nie zapisano: wpisz tajny klucz dostępu.',
  updatedAt: 'Ostatnia zmiana',
};

export const RECORDING_STORAGE_MESSAGES: Record<Lang, RecordingStorageMessages> = { en, de, pl };
