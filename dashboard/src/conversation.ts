import { element } from './dom.js';
import type { DashboardMessageFragment } from './gql/graphql.js';

type Part = DashboardMessageFragment['parts'][number];

/** What a MessageDelta carries: a chunk for one part of the message at `seq`. */
export interface Delta {
  seq: number;
  messageId: string;
  partIndex: number;
  index: number;
  delta: string;
}

/** One message on screen; streaming ones grow by deltas until their completion replaces them. */
interface Shown {
  message: DashboardMessageFragment;
  /** The text of each part as shown, deltas appended. */
  texts: string[];
  /** The next delta index expected: a repeated chunk is not appended twice. */
  nextDelta: number;
  node: HTMLElement;
}

/**
 * The open thread's messages in seq order, each an `<article data-seq>`; a reply streams in as
 * its deltas arrive (text and reasoning parts grow; a tool call's arguments are shown once
 * complete).
 */
export class Conversation {
  readonly node = element('section', { className: 'messages', 'data-testid': 'messages' });
  readonly #shown = new Map<number, Shown>();

  constructor(readonly threadId: string, messages: readonly DashboardMessageFragment[]) {
    for (const message of messages) this.put(message);
  }

  /** A message added, completed or edited: shown as it now is (a newer revision replaces the old). */
  put(message: DashboardMessageFragment): void {
    const existing = this.#shown.get(message.seq);
    const shown: Shown = { message, texts: message.parts.map(textOf), nextDelta: existing?.nextDelta ?? 0, node: element('article') };
    shown.node = render(shown);
    if (existing) existing.node.replaceWith(shown.node);
    else this.#insert(message.seq, shown.node);
    this.#shown.set(message.seq, shown);
    this.#scrollToEnd();
  }

  /** Appends a chunk to the streaming message at its seq; ignored once the message completed. */
  applyDelta(delta: Delta): void {
    const shown = this.#shown.get(delta.seq);
    if (!shown || shown.message.status !== 'IN_PROGRESS' || delta.index < shown.nextDelta) return;
    shown.nextDelta = delta.index + 1;
    while (shown.texts.length <= delta.partIndex) shown.texts.push('');
    shown.texts[delta.partIndex] += delta.delta;
    const node = render(shown);
    shown.node.replaceWith(node);
    shown.node = node;
    this.#scrollToEnd();
  }

  remove(seq: number): void {
    const shown = this.#shown.get(seq);
    if (!shown) return;
    shown.message = { ...shown.message, content: '', parts: [], deletedAt: new Date().toISOString() };
    shown.texts = [];
    const node = render(shown);
    shown.node.replaceWith(node);
    shown.node = node;
  }

  /** The seq of the oldest message still streaming here; null when none is. */
  get oldestStreamingSeq(): number | null {
    const streaming = [...this.#shown.values()].filter((shown) => shown.message.status === 'IN_PROGRESS').map((shown) => shown.message.seq);
    return streaming.length > 0 ? Math.min(...streaming) : null;
  }

  get latestSeq(): number {
    return Math.max(0, ...this.#shown.keys());
  }

  #insert(seq: number, node: HTMLElement): void {
    const after = [...this.#shown.keys()].filter((other) => other > seq).sort((a, b) => a - b)[0];
    if (after === undefined) this.node.append(node);
    else this.#shown.get(after)?.node.before(node);
  }

  #scrollToEnd(): void {
    this.node.scrollTop = this.node.scrollHeight;
  }
}

function textOf(part: Part): string {
  switch (part.__typename) {
    case 'TextPart':
    case 'ReasoningPart':
      return part.text;
    case 'ToolCallPart':
      return `→ ${part.name}(…)`;
    case 'ToolResultPart':
      return part.isError ? '← tool error' : '← tool result';
    case 'FilePart':
      return `📎 ${part.name ?? part.uri}`;
  }
}

function render({ message, texts }: Shown): HTMLElement {
  const streaming = message.status === 'IN_PROGRESS';
  const body = message.deletedAt
    ? [element('p', { className: 'deleted' }, 'Deleted')]
    : texts.map((text, index) => element('p', { className: `part ${message.parts[index]?.__typename ?? 'TextPart'}` }, text));
  return element(
    'article',
    {
      className: `message ${message.role.toLowerCase()}${streaming ? ' streaming' : ''}`,
      'data-seq': String(message.seq),
      'data-status': message.status,
      'data-message-id': message.id,
    },
    element('header', {},
      element('span', { className: 'role' }, message.role.toLowerCase()),
      element('span', { className: 'seq' }, `#${message.seq}`),
      streaming ? element('span', { className: 'status' }, 'streaming…') : null,
    ),
    element('div', { className: 'content' }, ...body),
  );
}
