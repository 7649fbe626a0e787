import type { Migration } from 'kysely';
import * as coreTables from './2026-11-22T0000_core_tables.js';
import * as hotStateInvalidations from './2026-11-22T0100_hot_state_invalidations.js';
import * as messageStatus from './2026-11-22T0200_message_status.js';
import * as outbox from './2026-12-04T0000_outbox.js';
import * as actors from './2026-12-06T0000_actors.js';
import * as messageParts from './2026-12-06T0100_message_parts.js';
import * as threadsOwnerCreated from './2026-12-06T0200_threads_owner_created.js';
import * as threadReads from './2026-12-06T0300_thread_reads.js';
import * as runCancelling from './2026-12-06T0400_run_cancelling.js';
import * as messageSearch from './2026-12-06T0500_message_search.js';
import * as threadErasures from './2026-12-06T0600_thread_erasures.js';
import * as threadForks from './2026-12-06T0700_thread_forks.js';
import * as runUsage from './2026-12-06T0800_run_usage.js';
import * as messageFeedback from './2026-12-06T0810_message_feedback.js';
import * as messageRevisions from './2026-12-06T0900_message_revisions.js';
import * as viewerFeed from './2026-12-06T1000_viewer_feed.js';
import * as outboxSetAside from './2026-12-07T0000_outbox_set_aside.js';

/**
 * Every migration, by its dated name. Listed statically rather than discovered on disk so the
 * same list works under tsx, vitest and compiled output alike; a unit test fails when a file
 * in this folder is missing here.
 */
export const migrations: Record<string, Migration> = {
  '2026-11-22T0000_core_tables': coreTables,
  '2026-11-22T0100_hot_state_invalidations': hotStateInvalidations,
  '2026-11-22T0200_message_status': messageStatus,
  '2026-12-04T0000_outbox': outbox,
  '2026-12-06T0000_actors': actors,
  '2026-12-06T0100_message_parts': messageParts,
  '2026-12-06T0200_threads_owner_created': threadsOwnerCreated,
  '2026-12-06T0300_thread_reads': threadReads,
  '2026-12-06T0400_run_cancelling': runCancelling,
  '2026-12-06T0500_message_search': messageSearch,
  '2026-12-06T0600_thread_erasures': threadErasures,
  '2026-12-06T0700_thread_forks': threadForks,
  '2026-12-06T0800_run_usage': runUsage,
  '2026-12-06T0810_message_feedback': messageFeedback,
  '2026-12-06T0900_message_revisions': messageRevisions,
  '2026-12-06T1000_viewer_feed': viewerFeed,
  '2026-12-07T0000_outbox_set_aside': outboxSetAside,
};
