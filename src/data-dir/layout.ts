import path from 'node:path';

/** Where each embedded server keeps its data under DATA_DIR; one definition for the servers and the orphan check. */
export function dataDirLayout(dataDir: string) {
  return {
    postgres: path.join(dataDir, 'postgres'),
    redis: path.join(dataDir, 'redis'),
  };
}
