import { writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { messageReads } from '../../src/observability/metrics.js';
import type { GraphqlRequest } from '../shared/graphql-load-protocol.js';
import { postGraphql } from './graphql-call.js';
import type { BenchCase } from './requests.js';

/** How far the floor's answer size may stray from Threadline's before the comparison is unfair. */
const SIZE_TOLERANCE = 0.1;

export interface AnswerCheck {
  case: string;
  /** Mean answer size over the case's requests, bytes. */
  bytes: { threadline: number; floor: number };
  sizeRatio: number;
  /** Every `id` in both answers, in order, is the same: the floor returns the same rows. */
  sameIds: boolean;
  /** Message page reads Threadline counted during the check, by source (threadline_message_reads_total). */
  threadlineReads: { redis: number; postgres: number };
}

/**
 * Sends every request of a case once to each server and checks what the benchmark relies on:
 * data and no errors, answers of the same size (±10%) naming the same rows, and that hot reads
 * came from Redis and cold ones from Postgres. Throws on the first failure.
 */
export async function checkAnswers(benchCase: BenchCase, urls: { threadline: string; floor: string }): Promise<AnswerCheck> {
  const readsBefore = await readCounts();
  const threadline = await answersOf(urls.threadline, benchCase.requests, `${benchCase.name} on Threadline`);
  const readsAfter = await readCounts();
  const floor = await answersOf(urls.floor, benchCase.requests, `${benchCase.name} on the floor`);
  const bytes = { threadline: meanLength(threadline), floor: meanLength(floor) };
  const sizeRatio = bytes.floor / bytes.threadline;
  const check: AnswerCheck = {
    case: benchCase.name,
    bytes,
    sizeRatio,
    sameIds: threadline.every((text, i) => idsOf(text) === idsOf(floor[i] as string)),
    threadlineReads: { redis: readsAfter.redis - readsBefore.redis, postgres: readsAfter.postgres - readsBefore.postgres },
  };
  if (Math.abs(sizeRatio - 1) > SIZE_TOLERANCE || !check.sameIds) {
    const files = await keepForInspection(benchCase.name, { threadline: threadline[0] as string, floor: floor[0] as string });
    throw new Error(`${benchCase.name}: floor answers ${bytes.floor} B, Threadline ${bytes.threadline} B, same rows: ${check.sameIds} (first answers in ${files})`);
  }
  const { redis, postgres } = check.threadlineReads;
  if (benchCase.tier === 'hot' && postgres > 0) throw new Error(`${benchCase.name}: ${postgres} page reads missed Redis`);
  if (benchCase.tier === 'cold' && (redis > 0 || postgres === 0)) throw new Error(`${benchCase.name}: reads did not come from Postgres (${redis} Redis hits)`);
  return check;
}

/** Writes both answers to the temporary directory, so a mismatch can be diffed. */
async function keepForInspection(name: string, answers: Record<'threadline' | 'floor', string>): Promise<string> {
  const base = path.join(os.tmpdir(), `read-path-${name.replace(/\W+/g, '-')}`);
  for (const [server, text] of Object.entries(answers)) await writeFile(`${base}.${server}.json`, text);
  return `${base}.{threadline,floor}.json`;
}

async function answersOf(url: string, requests: GraphqlRequest[], label: string): Promise<string[]> {
  const texts: string[] = [];
  for (const request of requests) {
    const { text, json } = await postGraphql(url, request.token, request.body);
    if (json.errors?.length || !json.data) throw new Error(`${label}: ${text.slice(0, 500)}`);
    texts.push(text);
  }
  return texts;
}

async function readCounts(): Promise<{ redis: number; postgres: number }> {
  const { values } = await messageReads.get();
  const count = (source: string) => values.find((value) => value.labels.source === source)?.value ?? 0;
  return { redis: count('redis'), postgres: count('postgres') };
}

function meanLength(texts: string[]): number {
  return texts.reduce((sum, text) => sum + Buffer.byteLength(text), 0) / texts.length;
}

function idsOf(text: string): string {
  return [...text.matchAll(/"id":"([^"]+)"/g)].map((match) => match[1]).join(',');
}
