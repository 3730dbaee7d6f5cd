// The built web assets of the demo app. Capgo's updater rolls an update back unless the app
// says it started: capgo_bundle checks for this call before it uploads (code_check).
import { CapacitorUpdater } from '@capgo/capacitor-updater';

CapacitorUpdater.notifyAppReady();
