/* eslint-disable */
/** Internal type. DO NOT USE DIRECTLY. */
type Exact<T extends { [key: string]: unknown }> = { [K in keyof T]: T[K] };
/** Internal type. DO NOT USE DIRECTLY. */
export type Incremental<T> = T | { [P in keyof T]?: P extends ' $fragmentName' | '__typename' ? T[P] : never };
import type { DocumentTypeDecoration } from '@graphql-typed-document-node/core';
export type MarkThreadReadInput = {
  /** Read up to and including this message's seq; 0 is nothing read. At most the thread's newest seq. */
  seq: number;
  threadId: string | number;
};

export type MessageRole =
  | 'ASSISTANT'
  | 'SYSTEM'
  | 'TOOL'
  | 'USER';

export type MessageStatus =
  | 'COMPLETED'
  | 'IN_PROGRESS';

export type RunStatus =
  | 'CANCELLED'
  | 'CANCELLING'
  | 'COMPLETED'
  | 'FAILED'
  | 'IN_PROGRESS'
  | 'QUEUED'
  | 'REQUIRES_ACTION';

export type ThreadStatus =
  | 'ACTIVE'
  | 'ARCHIVED';

export type DashboardThreadFragment = { id: string, title: string | null, status: ThreadStatus, lastReadSeq: number, unreadCount: number, updatedAt: string };

export type DashboardRunFragment = { id: string, threadId: string, status: RunStatus, model: string | null, createdAt: string };

export type DashboardMessageFragment = { id: string, threadId: string, seq: number, role: MessageRole, status: MessageStatus, content: string, createdAt: string, deletedAt: string | null, parts: Array<
    | { __typename: 'FilePart', name: string, uri: string }
    | { __typename: 'ReasoningPart', text: string }
    | { __typename: 'TextPart', text: string }
    | { __typename: 'ToolCallPart', callId: string, name: string }
    | { __typename: 'ToolResultPart', callId: string, isError: boolean }
  > };

export type DashboardThreadsQueryVariables = Exact<{
  first?: number | null | undefined;
}>;


export type DashboardThreadsQuery = { viewer: { id: string }, threads: { edges: Array<{ node: { id: string, title: string | null, status: ThreadStatus, lastReadSeq: number, unreadCount: number, updatedAt: string, activeRun: { id: string, threadId: string, status: RunStatus, model: string | null, createdAt: string } | null } }> } };

export type DashboardThreadMessagesQueryVariables = Exact<{
  id: string | number;
  last?: number | null | undefined;
}>;


export type DashboardThreadMessagesQuery = { thread: { id: string, title: string | null, status: ThreadStatus, lastReadSeq: number, unreadCount: number, updatedAt: string, messages: { edges: Array<{ node: { id: string, threadId: string, seq: number, role: MessageRole, status: MessageStatus, content: string, createdAt: string, deletedAt: string | null, parts: Array<
            | { __typename: 'FilePart', name: string, uri: string }
            | { __typename: 'ReasoningPart', text: string }
            | { __typename: 'TextPart', text: string }
            | { __typename: 'ToolCallPart', callId: string, name: string }
            | { __typename: 'ToolResultPart', callId: string, isError: boolean }
          > } }> } } | null };

export type DashboardAnalyticsQueryVariables = Exact<{
  from: string;
  to: string;
}>;


export type DashboardAnalyticsQuery = { analytics: { messagesPerDay: Array<{ day: string, count: number }>, runDurations: { p50Seconds: number | null, p95Seconds: number | null, count: number }, runStatusCounts: Array<{ status: RunStatus, count: number }>, tokenUsage: Array<{ day: string, model: string | null, inputTokens: number, outputTokens: number }> } };

export type DashboardMarkThreadReadMutationVariables = Exact<{
  input: MarkThreadReadInput;
}>;


export type DashboardMarkThreadReadMutation = { markThreadRead: { id: string, lastReadSeq: number, unreadCount: number } };

export type DashboardThreadEventsSubscriptionVariables = Exact<{
  threadId: string | number;
  afterSeq?: number | null | undefined;
  after?: string | null | undefined;
}>;


export type DashboardThreadEventsSubscription = { threadEvents:
    | { __typename: 'MessageAdded', threadId: string, cursor: string, seq: number, message: { id: string, threadId: string, seq: number, role: MessageRole, status: MessageStatus, content: string, createdAt: string, deletedAt: string | null, parts: Array<
          | { __typename: 'FilePart', name: string, uri: string }
          | { __typename: 'ReasoningPart', text: string }
          | { __typename: 'TextPart', text: string }
          | { __typename: 'ToolCallPart', callId: string, name: string }
          | { __typename: 'ToolResultPart', callId: string, isError: boolean }
        > } }
    | { __typename: 'MessageCompleted', threadId: string, cursor: string, seq: number, message: { id: string, threadId: string, seq: number, role: MessageRole, status: MessageStatus, content: string, createdAt: string, deletedAt: string | null, parts: Array<
          | { __typename: 'FilePart', name: string, uri: string }
          | { __typename: 'ReasoningPart', text: string }
          | { __typename: 'TextPart', text: string }
          | { __typename: 'ToolCallPart', callId: string, name: string }
          | { __typename: 'ToolResultPart', callId: string, isError: boolean }
        > } }
    | { __typename: 'MessageDeleted', threadId: string, cursor: string, seq: number, messageId: string }
    | { __typename: 'MessageDelta', threadId: string, cursor: string, seq: number, messageId: string, partIndex: number, index: number, delta: string }
    | { __typename: 'MessageEdited', threadId: string, cursor: string, seq: number, message: { id: string, threadId: string, seq: number, role: MessageRole, status: MessageStatus, content: string, createdAt: string, deletedAt: string | null, parts: Array<
          | { __typename: 'FilePart', name: string, uri: string }
          | { __typename: 'ReasoningPart', text: string }
          | { __typename: 'TextPart', text: string }
          | { __typename: 'ToolCallPart', callId: string, name: string }
          | { __typename: 'ToolResultPart', callId: string, isError: boolean }
        > } }
    | { __typename: 'RunStatusChanged', cursor: string }
    | { __typename: 'ThreadDeleted', threadId: string, cursor: string }
    | { __typename: 'ThreadUpdated', cursor: string }
   };

export type DashboardViewerEventsSubscriptionVariables = Exact<{
  after?: string | null | undefined;
}>;


export type DashboardViewerEventsSubscription = { viewerEvents:
    | { __typename: 'ThreadActivity', cursor: string, threadId: string, unreadCount: number, threadNow: { id: string, title: string | null, status: ThreadStatus, lastReadSeq: number, unreadCount: number, updatedAt: string } | null, lastMessage: { seq: number, createdAt: string } }
    | { __typename: 'ThreadCreated', cursor: string, thread: { id: string, title: string | null, status: ThreadStatus, lastReadSeq: number, unreadCount: number, updatedAt: string } }
    | { __typename: 'ThreadRead', cursor: string, unreadCount: number, thread: { id: string, lastReadSeq: number } }
    | { __typename: 'ViewerRunStatusChanged', cursor: string, run: { id: string, threadId: string, status: RunStatus, model: string | null, createdAt: string } }
    | { __typename: 'ViewerThreadDeleted', cursor: string, threadId: string }
    | { __typename: 'ViewerThreadUpdated', cursor: string, thread: { id: string, title: string | null, status: ThreadStatus, lastReadSeq: number, unreadCount: number, updatedAt: string } }
   };

export class TypedDocumentString<TResult, TVariables>
  extends String
  implements DocumentTypeDecoration<TResult, TVariables>
{
  __apiType?: NonNullable<DocumentTypeDecoration<TResult, TVariables>['__apiType']>;
  private value: string;
  public __meta__?: Record<string, any> | undefined;

  constructor(value: string, __meta__?: Record<string, any> | undefined) {
    super(value);
    this.value = value;
    this.__meta__ = __meta__;
  }

  override toString(): string & DocumentTypeDecoration<TResult, TVariables> {
    return this.value;
  }
}
export const DashboardThreadFragmentDoc = new TypedDocumentString(`
    fragment DashboardThread on Thread {
  id
  title
  status
  lastReadSeq
  unreadCount
  updatedAt
}
    `, {"fragmentName":"DashboardThread"}) as unknown as TypedDocumentString<DashboardThreadFragment, unknown>;
export const DashboardRunFragmentDoc = new TypedDocumentString(`
    fragment DashboardRun on Run {
  id
  threadId
  status
  model
  createdAt
}
    `, {"fragmentName":"DashboardRun"}) as unknown as TypedDocumentString<DashboardRunFragment, unknown>;
export const DashboardMessageFragmentDoc = new TypedDocumentString(`
    fragment DashboardMessage on Message {
  id
  threadId
  seq
  role
  status
  content
  createdAt
  deletedAt
  parts {
    __typename
    ... on TextPart {
      text
    }
    ... on ReasoningPart {
      text
    }
    ... on ToolCallPart {
      callId
      name
    }
    ... on ToolResultPart {
      callId
      isError
    }
    ... on FilePart {
      name
      uri
    }
  }
}
    `, {"fragmentName":"DashboardMessage"}) as unknown as TypedDocumentString<DashboardMessageFragment, unknown>;
export const DashboardThreadsDocument = new TypedDocumentString(`
    query DashboardThreads($first: Int = 50) {
  viewer {
    id
  }
  threads(first: $first, status: ACTIVE) {
    edges {
      node {
        ...DashboardThread
        activeRun {
          ...DashboardRun
        }
      }
    }
  }
}
    fragment DashboardThread on Thread {
  id
  title
  status
  lastReadSeq
  unreadCount
  updatedAt
}
fragment DashboardRun on Run {
  id
  threadId
  status
  model
  createdAt
}`) as unknown as TypedDocumentString<DashboardThreadsQuery, DashboardThreadsQueryVariables>;
export const DashboardThreadMessagesDocument = new TypedDocumentString(`
    query DashboardThreadMessages($id: ID!, $last: Int = 100) {
  thread(id: $id) {
    ...DashboardThread
    messages(last: $last) {
      edges {
        node {
          ...DashboardMessage
        }
      }
    }
  }
}
    fragment DashboardThread on Thread {
  id
  title
  status
  lastReadSeq
  unreadCount
  updatedAt
}
fragment DashboardMessage on Message {
  id
  threadId
  seq
  role
  status
  content
  createdAt
  deletedAt
  parts {
    __typename
    ... on TextPart {
      text
    }
    ... on ReasoningPart {
      text
    }
    ... on ToolCallPart {
      callId
      name
    }
    ... on ToolResultPart {
      callId
      isError
    }
    ... on FilePart {
      name
      uri
    }
  }
}`) as unknown as TypedDocumentString<DashboardThreadMessagesQuery, DashboardThreadMessagesQueryVariables>;
export const DashboardAnalyticsDocument = new TypedDocumentString(`
    query DashboardAnalytics($from: DateTime!, $to: DateTime!) {
  analytics(from: $from, to: $to) {
    messagesPerDay {
      day
      count
    }
    runDurations {
      p50Seconds
      p95Seconds
      count
    }
    runStatusCounts {
      status
      count
    }
    tokenUsage {
      day
      model
      inputTokens
      outputTokens
    }
  }
}
    `) as unknown as TypedDocumentString<DashboardAnalyticsQuery, DashboardAnalyticsQueryVariables>;
export const DashboardMarkThreadReadDocument = new TypedDocumentString(`
    mutation DashboardMarkThreadRead($input: MarkThreadReadInput!) {
  markThreadRead(input: $input) {
    id
    lastReadSeq
    unreadCount
  }
}
    `) as unknown as TypedDocumentString<DashboardMarkThreadReadMutation, DashboardMarkThreadReadMutationVariables>;
export const DashboardThreadEventsDocument = new TypedDocumentString(`
    subscription DashboardThreadEvents($threadId: ID!, $afterSeq: Int, $after: String) {
  threadEvents(threadId: $threadId, afterSeq: $afterSeq, after: $after) {
    __typename
    ... on MessageAdded {
      threadId
      cursor
      seq
      message {
        ...DashboardMessage
      }
    }
    ... on MessageDelta {
      threadId
      cursor
      seq
      messageId
      partIndex
      index
      delta
    }
    ... on MessageCompleted {
      threadId
      cursor
      seq
      message {
        ...DashboardMessage
      }
    }
    ... on MessageEdited {
      threadId
      cursor
      seq
      message {
        ...DashboardMessage
      }
    }
    ... on MessageDeleted {
      threadId
      cursor
      seq
      messageId
    }
    ... on RunStatusChanged {
      cursor
    }
    ... on ThreadUpdated {
      cursor
    }
    ... on ThreadDeleted {
      threadId
      cursor
    }
  }
}
    fragment DashboardMessage on Message {
  id
  threadId
  seq
  role
  status
  content
  createdAt
  deletedAt
  parts {
    __typename
    ... on TextPart {
      text
    }
    ... on ReasoningPart {
      text
    }
    ... on ToolCallPart {
      callId
      name
    }
    ... on ToolResultPart {
      callId
      isError
    }
    ... on FilePart {
      name
      uri
    }
  }
}`) as unknown as TypedDocumentString<DashboardThreadEventsSubscription, DashboardThreadEventsSubscriptionVariables>;
export const DashboardViewerEventsDocument = new TypedDocumentString(`
    subscription DashboardViewerEvents($after: String) {
  viewerEvents(after: $after) {
    __typename
    ... on ThreadCreated {
      cursor
      thread {
        ...DashboardThread
      }
    }
    ... on ViewerThreadUpdated {
      cursor
      thread {
        ...DashboardThread
      }
    }
    ... on ThreadActivity {
      cursor
      threadId
      unreadCount
      threadNow: thread {
        ...DashboardThread
      }
      lastMessage {
        seq
        createdAt
      }
    }
    ... on ThreadRead {
      cursor
      unreadCount
      thread {
        id
        lastReadSeq
      }
    }
    ... on ViewerRunStatusChanged {
      cursor
      run {
        ...DashboardRun
      }
    }
    ... on ViewerThreadDeleted {
      cursor
      threadId
    }
  }
}
    fragment DashboardThread on Thread {
  id
  title
  status
  lastReadSeq
  unreadCount
  updatedAt
}
fragment DashboardRun on Run {
  id
  threadId
  status
  model
  createdAt
}`) as unknown as TypedDocumentString<DashboardViewerEventsSubscription, DashboardViewerEventsSubscriptionVariables>;