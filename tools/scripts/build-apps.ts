/** `npm run build`: bundles every app into dist/apps/<app>/main.mjs (see buildApps). */
import { buildApps, PLATFORM_APPS } from '@ledgerline/processes';

await buildApps();
process.stdout.write(`built ${PLATFORM_APPS.join(', ')} into dist/apps\n`);
