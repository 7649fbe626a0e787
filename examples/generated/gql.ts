/* eslint-disable */
import * as types from './graphql.js';
import type { TypedDocumentNode as DocumentNode } from '@graphql-typed-document-node/core';

/**
 * Map of all GraphQL operations in the project.
 *
 * This map has several performance disadvantages:
 * 1. It is not tree-shakeable, so it will include all operations in the project.
 * 2. It is not minifiable, so the string of a GraphQL query will be multiple times inside the bundle.
 * 3. It does not support dead code elimination, so it will add unused operations.
 *
 * Therefore it is highly recommended to use the babel or swc plugin for production.
 * Learn more about it here: https://the-guild.dev/graphql/codegen/plugins/presets/preset-client#reducing-bundle-size
 */
type Documents = {
    "mutation AppendMessageDelta($input: AppendMessageDeltaInput!) {\n  appendMessageDelta(input: $input) {\n    id\n    seq\n    status\n  }\n}": typeof types.AppendMessageDeltaDocument,
    "mutation ArchiveThreads($ids: [ID!]!) {\n  archiveThreads(ids: $ids) {\n    id\n    status\n    updatedAt\n  }\n}": typeof types.ArchiveThreadsDocument,
    "mutation CompleteMessage($id: ID!) {\n  completeMessage(id: $id) {\n    ...MessageFields\n  }\n}": typeof types.CompleteMessageDocument,
    "mutation CreateThread($input: CreateThreadInput) {\n  createThread(input: $input) {\n    ...ThreadFields\n  }\n}": typeof types.CreateThreadDocument,
    "mutation ForkThread($input: ForkThreadInput!) {\n  forkThread(input: $input) {\n    id\n    title\n    messageCount\n    forkedFrom {\n      seq\n      thread {\n        id\n      }\n    }\n  }\n}": typeof types.ForkThreadDocument,
    "fragment ThreadFields on Thread {\n  id\n  title\n  status\n  metadata\n  messageCount\n  createdAt\n  updatedAt\n}\n\nfragment MessageFields on Message {\n  id\n  threadId\n  runId\n  role\n  status\n  content\n  metadata\n  seq\n  clientMessageId\n  durability\n  createdAt\n}\n\nfragment RunFields on Run {\n  id\n  threadId\n  status\n  metadata\n  error\n  createdAt\n  startedAt\n  completedAt\n}\n\nfragment PageInfoFields on PageInfo {\n  hasNextPage\n  hasPreviousPage\n  startCursor\n  endCursor\n}\n\nfragment MessagePartFields on MessagePart {\n  __typename\n  ... on TextPart {\n    text\n  }\n  ... on ReasoningPart {\n    text\n  }\n  ... on ToolCallPart {\n    callId\n    name\n    arguments\n  }\n  ... on ToolResultPart {\n    callId\n    output\n    isError\n  }\n  ... on FilePart {\n    uri\n    mediaType\n    name\n    sizeBytes\n  }\n}": typeof types.ThreadFieldsFragmentDoc,
    "mutation GenerateThreadTitle($id: ID!) {\n  generateThreadTitle(id: $id) {\n    id\n    title\n    updatedAt\n  }\n}": typeof types.GenerateThreadTitleDocument,
    "mutation GetOrCreateActiveThread {\n  getOrCreateActiveThread {\n    ...ThreadFields\n  }\n}": typeof types.GetOrCreateActiveThreadDocument,
    "subscription MessageAdded($threadId: ID!, $afterSeq: Int) {\n  messageAdded(threadId: $threadId, afterSeq: $afterSeq) {\n    ...MessageFields\n  }\n}": typeof types.MessageAddedDocument,
    "mutation SendMessageParts($input: SendMessageInput!) {\n  sendMessage(input: $input) {\n    ...MessageFields\n    parts {\n      ...MessagePartFields\n    }\n  }\n}": typeof types.SendMessagePartsDocument,
    "mutation SendMessage($input: SendMessageInput!) {\n  sendMessage(input: $input) {\n    ...MessageFields\n  }\n}": typeof types.SendMessageDocument,
    "mutation StartMessage($input: StartMessageInput!) {\n  startMessage(input: $input) {\n    ...MessageFields\n  }\n}": typeof types.StartMessageDocument,
    "mutation StartRun($input: StartRunInput!) {\n  startRun(input: $input) {\n    ...RunFields\n  }\n}": typeof types.StartRunDocument,
    "query ThreadById($id: ID!, $lastMessages: Int = 50, $before: String) {\n  thread(id: $id) {\n    ...ThreadFields\n    messages(last: $lastMessages, before: $before) {\n      edges {\n        cursor\n        node {\n          ...MessageFields\n        }\n      }\n      pageInfo {\n        ...PageInfoFields\n      }\n    }\n  }\n}": typeof types.ThreadByIdDocument,
    "subscription ThreadEvents($threadId: ID!, $after: String) {\n  threadEvents(threadId: $threadId, after: $after) {\n    __typename\n    ... on MessageAdded {\n      cursor\n      seq\n      message {\n        ...MessageFields\n      }\n    }\n    ... on MessageDelta {\n      cursor\n      messageId\n      partIndex\n      index\n      delta\n    }\n    ... on MessageCompleted {\n      cursor\n      message {\n        ...MessageFields\n      }\n    }\n    ... on MessageEdited {\n      cursor\n      message {\n        ...MessageFields\n      }\n    }\n    ... on MessageDeleted {\n      cursor\n      seq\n      messageId\n    }\n    ... on RunStatusChanged {\n      cursor\n      run {\n        id\n        status\n      }\n    }\n    ... on ThreadUpdated {\n      cursor\n      thread {\n        id\n        title\n      }\n    }\n    ... on ThreadDeleted {\n      cursor\n      threadId\n    }\n  }\n}": typeof types.ThreadEventsDocument,
    "query ThreadsPage($first: Int = 20, $after: String, $status: ThreadStatus, $metadata: JSON, $lastMessages: Int = 5, $firstRuns: Int = 3) {\n  threads(first: $first, after: $after, status: $status, metadata: $metadata) {\n    edges {\n      cursor\n      node {\n        ...ThreadFields\n        messages(last: $lastMessages) {\n          edges {\n            node {\n              ...MessageFields\n            }\n          }\n        }\n        runs(first: $firstRuns) {\n          edges {\n            node {\n              ...RunFields\n            }\n          }\n        }\n      }\n    }\n    pageInfo {\n      ...PageInfoFields\n    }\n  }\n}": typeof types.ThreadsPageDocument,
    "query RunRequiredAction($id: ID!) {\n  run(id: $id) {\n    ...RunFields\n    requiredAction {\n      toolCalls {\n        callId\n        name\n        arguments\n      }\n    }\n  }\n}\n\nmutation SubmitToolResults($input: SubmitToolResultsInput!) {\n  submitToolResults(input: $input) {\n    ...RunFields\n    requiredAction {\n      toolCalls {\n        callId\n      }\n    }\n  }\n}": typeof types.RunRequiredActionDocument,
    "mutation UpdateRunStatus($input: UpdateRunStatusInput!) {\n  updateRunStatus(input: $input) {\n    ...RunFields\n  }\n}": typeof types.UpdateRunStatusDocument,
    "subscription ViewerEvents($after: String) {\n  viewerEvents(after: $after) {\n    __typename\n    ... on ThreadCreated {\n      cursor\n      thread {\n        id\n        title\n      }\n    }\n    ... on ViewerThreadUpdated {\n      cursor\n      thread {\n        id\n        title\n        status\n      }\n    }\n    ... on ThreadActivity {\n      cursor\n      threadId\n      unreadCount\n      lastMessage {\n        ...MessageFields\n      }\n    }\n    ... on ThreadRead {\n      cursor\n      unreadCount\n      thread {\n        id\n        lastReadSeq\n      }\n    }\n    ... on ViewerRunStatusChanged {\n      cursor\n      run {\n        id\n        status\n      }\n    }\n    ... on ViewerThreadDeleted {\n      cursor\n      threadId\n    }\n  }\n}": typeof types.ViewerEventsDocument,
    "query Viewer {\n  viewer {\n    id\n  }\n}": typeof types.ViewerDocument,
};
const documents: Documents = {
    "mutation AppendMessageDelta($input: AppendMessageDeltaInput!) {\n  appendMessageDelta(input: $input) {\n    id\n    seq\n    status\n  }\n}": types.AppendMessageDeltaDocument,
    "mutation ArchiveThreads($ids: [ID!]!) {\n  archiveThreads(ids: $ids) {\n    id\n    status\n    updatedAt\n  }\n}": types.ArchiveThreadsDocument,
    "mutation CompleteMessage($id: ID!) {\n  completeMessage(id: $id) {\n    ...MessageFields\n  }\n}": types.CompleteMessageDocument,
    "mutation CreateThread($input: CreateThreadInput) {\n  createThread(input: $input) {\n    ...ThreadFields\n  }\n}": types.CreateThreadDocument,
    "mutation ForkThread($input: ForkThreadInput!) {\n  forkThread(input: $input) {\n    id\n    title\n    messageCount\n    forkedFrom {\n      seq\n      thread {\n        id\n      }\n    }\n  }\n}": types.ForkThreadDocument,
    "fragment ThreadFields on Thread {\n  id\n  title\n  status\n  metadata\n  messageCount\n  createdAt\n  updatedAt\n}\n\nfragment MessageFields on Message {\n  id\n  threadId\n  runId\n  role\n  status\n  content\n  metadata\n  seq\n  clientMessageId\n  durability\n  createdAt\n}\n\nfragment RunFields on Run {\n  id\n  threadId\n  status\n  metadata\n  error\n  createdAt\n  startedAt\n  completedAt\n}\n\nfragment PageInfoFields on PageInfo {\n  hasNextPage\n  hasPreviousPage\n  startCursor\n  endCursor\n}\n\nfragment MessagePartFields on MessagePart {\n  __typename\n  ... on TextPart {\n    text\n  }\n  ... on ReasoningPart {\n    text\n  }\n  ... on ToolCallPart {\n    callId\n    name\n    arguments\n  }\n  ... on ToolResultPart {\n    callId\n    output\n    isError\n  }\n  ... on FilePart {\n    uri\n    mediaType\n    name\n    sizeBytes\n  }\n}": types.ThreadFieldsFragmentDoc,
    "mutation GenerateThreadTitle($id: ID!) {\n  generateThreadTitle(id: $id) {\n    id\n    title\n    updatedAt\n  }\n}": types.GenerateThreadTitleDocument,
    "mutation GetOrCreateActiveThread {\n  getOrCreateActiveThread {\n    ...ThreadFields\n  }\n}": types.GetOrCreateActiveThreadDocument,
    "subscription MessageAdded($threadId: ID!, $afterSeq: Int) {\n  messageAdded(threadId: $threadId, afterSeq: $afterSeq) {\n    ...MessageFields\n  }\n}": types.MessageAddedDocument,
    "mutation SendMessageParts($input: SendMessageInput!) {\n  sendMessage(input: $input) {\n    ...MessageFields\n    parts {\n      ...MessagePartFields\n    }\n  }\n}": types.SendMessagePartsDocument,
    "mutation SendMessage($input: SendMessageInput!) {\n  sendMessage(input: $input) {\n    ...MessageFields\n  }\n}": types.SendMessageDocument,
    "mutation StartMessage($input: StartMessageInput!) {\n  startMessage(input: $input) {\n    ...MessageFields\n  }\n}": types.StartMessageDocument,
    "mutation StartRun($input: StartRunInput!) {\n  startRun(input: $input) {\n    ...RunFields\n  }\n}": types.StartRunDocument,
    "query ThreadById($id: ID!, $lastMessages: Int = 50, $before: String) {\n  thread(id: $id) {\n    ...ThreadFields\n    messages(last: $lastMessages, before: $before) {\n      edges {\n        cursor\n        node {\n          ...MessageFields\n        }\n      }\n      pageInfo {\n        ...PageInfoFields\n      }\n    }\n  }\n}": types.ThreadByIdDocument,
    "subscription ThreadEvents($threadId: ID!, $after: String) {\n  threadEvents(threadId: $threadId, after: $after) {\n    __typename\n    ... on MessageAdded {\n      cursor\n      seq\n      message {\n        ...MessageFields\n      }\n    }\n    ... on MessageDelta {\n      cursor\n      messageId\n      partIndex\n      index\n      delta\n    }\n    ... on MessageCompleted {\n      cursor\n      message {\n        ...MessageFields\n      }\n    }\n    ... on MessageEdited {\n      cursor\n      message {\n        ...MessageFields\n      }\n    }\n    ... on MessageDeleted {\n      cursor\n      seq\n      messageId\n    }\n    ... on RunStatusChanged {\n      cursor\n      run {\n        id\n        status\n      }\n    }\n    ... on ThreadUpdated {\n      cursor\n      thread {\n        id\n        title\n      }\n    }\n    ... on ThreadDeleted {\n      cursor\n      threadId\n    }\n  }\n}": types.ThreadEventsDocument,
    "query ThreadsPage($first: Int = 20, $after: String, $status: ThreadStatus, $metadata: JSON, $lastMessages: Int = 5, $firstRuns: Int = 3) {\n  threads(first: $first, after: $after, status: $status, metadata: $metadata) {\n    edges {\n      cursor\n      node {\n        ...ThreadFields\n        messages(last: $lastMessages) {\n          edges {\n            node {\n              ...MessageFields\n            }\n          }\n        }\n        runs(first: $firstRuns) {\n          edges {\n            node {\n              ...RunFields\n            }\n          }\n        }\n      }\n    }\n    pageInfo {\n      ...PageInfoFields\n    }\n  }\n}": types.ThreadsPageDocument,
    "query RunRequiredAction($id: ID!) {\n  run(id: $id) {\n    ...RunFields\n    requiredAction {\n      toolCalls {\n        callId\n        name\n        arguments\n      }\n    }\n  }\n}\n\nmutation SubmitToolResults($input: SubmitToolResultsInput!) {\n  submitToolResults(input: $input) {\n    ...RunFields\n    requiredAction {\n      toolCalls {\n        callId\n      }\n    }\n  }\n}": types.RunRequiredActionDocument,
    "mutation UpdateRunStatus($input: UpdateRunStatusInput!) {\n  updateRunStatus(input: $input) {\n    ...RunFields\n  }\n}": types.UpdateRunStatusDocument,
    "subscription ViewerEvents($after: String) {\n  viewerEvents(after: $after) {\n    __typename\n    ... on ThreadCreated {\n      cursor\n      thread {\n        id\n        title\n      }\n    }\n    ... on ViewerThreadUpdated {\n      cursor\n      thread {\n        id\n        title\n        status\n      }\n    }\n    ... on ThreadActivity {\n      cursor\n      threadId\n      unreadCount\n      lastMessage {\n        ...MessageFields\n      }\n    }\n    ... on ThreadRead {\n      cursor\n      unreadCount\n      thread {\n        id\n        lastReadSeq\n      }\n    }\n    ... on ViewerRunStatusChanged {\n      cursor\n      run {\n        id\n        status\n      }\n    }\n    ... on ViewerThreadDeleted {\n      cursor\n      threadId\n    }\n  }\n}": types.ViewerEventsDocument,
    "query Viewer {\n  viewer {\n    id\n  }\n}": types.ViewerDocument,
};

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 *
 *
 * @example
 * ```ts
 * const query = graphql(`query GetUser($id: ID!) { user(id: $id) { name } }`);
 * ```
 *
 * The query argument is unknown!
 * Please regenerate the types.
 */
export function graphql(source: string): unknown;

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation AppendMessageDelta($input: AppendMessageDeltaInput!) {\n  appendMessageDelta(input: $input) {\n    id\n    seq\n    status\n  }\n}"): (typeof documents)["mutation AppendMessageDelta($input: AppendMessageDeltaInput!) {\n  appendMessageDelta(input: $input) {\n    id\n    seq\n    status\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation ArchiveThreads($ids: [ID!]!) {\n  archiveThreads(ids: $ids) {\n    id\n    status\n    updatedAt\n  }\n}"): (typeof documents)["mutation ArchiveThreads($ids: [ID!]!) {\n  archiveThreads(ids: $ids) {\n    id\n    status\n    updatedAt\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation CompleteMessage($id: ID!) {\n  completeMessage(id: $id) {\n    ...MessageFields\n  }\n}"): (typeof documents)["mutation CompleteMessage($id: ID!) {\n  completeMessage(id: $id) {\n    ...MessageFields\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation CreateThread($input: CreateThreadInput) {\n  createThread(input: $input) {\n    ...ThreadFields\n  }\n}"): (typeof documents)["mutation CreateThread($input: CreateThreadInput) {\n  createThread(input: $input) {\n    ...ThreadFields\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation ForkThread($input: ForkThreadInput!) {\n  forkThread(input: $input) {\n    id\n    title\n    messageCount\n    forkedFrom {\n      seq\n      thread {\n        id\n      }\n    }\n  }\n}"): (typeof documents)["mutation ForkThread($input: ForkThreadInput!) {\n  forkThread(input: $input) {\n    id\n    title\n    messageCount\n    forkedFrom {\n      seq\n      thread {\n        id\n      }\n    }\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "fragment ThreadFields on Thread {\n  id\n  title\n  status\n  metadata\n  messageCount\n  createdAt\n  updatedAt\n}\n\nfragment MessageFields on Message {\n  id\n  threadId\n  runId\n  role\n  status\n  content\n  metadata\n  seq\n  clientMessageId\n  durability\n  createdAt\n}\n\nfragment RunFields on Run {\n  id\n  threadId\n  status\n  metadata\n  error\n  createdAt\n  startedAt\n  completedAt\n}\n\nfragment PageInfoFields on PageInfo {\n  hasNextPage\n  hasPreviousPage\n  startCursor\n  endCursor\n}\n\nfragment MessagePartFields on MessagePart {\n  __typename\n  ... on TextPart {\n    text\n  }\n  ... on ReasoningPart {\n    text\n  }\n  ... on ToolCallPart {\n    callId\n    name\n    arguments\n  }\n  ... on ToolResultPart {\n    callId\n    output\n    isError\n  }\n  ... on FilePart {\n    uri\n    mediaType\n    name\n    sizeBytes\n  }\n}"): (typeof documents)["fragment ThreadFields on Thread {\n  id\n  title\n  status\n  metadata\n  messageCount\n  createdAt\n  updatedAt\n}\n\nfragment MessageFields on Message {\n  id\n  threadId\n  runId\n  role\n  status\n  content\n  metadata\n  seq\n  clientMessageId\n  durability\n  createdAt\n}\n\nfragment RunFields on Run {\n  id\n  threadId\n  status\n  metadata\n  error\n  createdAt\n  startedAt\n  completedAt\n}\n\nfragment PageInfoFields on PageInfo {\n  hasNextPage\n  hasPreviousPage\n  startCursor\n  endCursor\n}\n\nfragment MessagePartFields on MessagePart {\n  __typename\n  ... on TextPart {\n    text\n  }\n  ... on ReasoningPart {\n    text\n  }\n  ... on ToolCallPart {\n    callId\n    name\n    arguments\n  }\n  ... on ToolResultPart {\n    callId\n    output\n    isError\n  }\n  ... on FilePart {\n    uri\n    mediaType\n    name\n    sizeBytes\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation GenerateThreadTitle($id: ID!) {\n  generateThreadTitle(id: $id) {\n    id\n    title\n    updatedAt\n  }\n}"): (typeof documents)["mutation GenerateThreadTitle($id: ID!) {\n  generateThreadTitle(id: $id) {\n    id\n    title\n    updatedAt\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation GetOrCreateActiveThread {\n  getOrCreateActiveThread {\n    ...ThreadFields\n  }\n}"): (typeof documents)["mutation GetOrCreateActiveThread {\n  getOrCreateActiveThread {\n    ...ThreadFields\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "subscription MessageAdded($threadId: ID!, $afterSeq: Int) {\n  messageAdded(threadId: $threadId, afterSeq: $afterSeq) {\n    ...MessageFields\n  }\n}"): (typeof documents)["subscription MessageAdded($threadId: ID!, $afterSeq: Int) {\n  messageAdded(threadId: $threadId, afterSeq: $afterSeq) {\n    ...MessageFields\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation SendMessageParts($input: SendMessageInput!) {\n  sendMessage(input: $input) {\n    ...MessageFields\n    parts {\n      ...MessagePartFields\n    }\n  }\n}"): (typeof documents)["mutation SendMessageParts($input: SendMessageInput!) {\n  sendMessage(input: $input) {\n    ...MessageFields\n    parts {\n      ...MessagePartFields\n    }\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation SendMessage($input: SendMessageInput!) {\n  sendMessage(input: $input) {\n    ...MessageFields\n  }\n}"): (typeof documents)["mutation SendMessage($input: SendMessageInput!) {\n  sendMessage(input: $input) {\n    ...MessageFields\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation StartMessage($input: StartMessageInput!) {\n  startMessage(input: $input) {\n    ...MessageFields\n  }\n}"): (typeof documents)["mutation StartMessage($input: StartMessageInput!) {\n  startMessage(input: $input) {\n    ...MessageFields\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation StartRun($input: StartRunInput!) {\n  startRun(input: $input) {\n    ...RunFields\n  }\n}"): (typeof documents)["mutation StartRun($input: StartRunInput!) {\n  startRun(input: $input) {\n    ...RunFields\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "query ThreadById($id: ID!, $lastMessages: Int = 50, $before: String) {\n  thread(id: $id) {\n    ...ThreadFields\n    messages(last: $lastMessages, before: $before) {\n      edges {\n        cursor\n        node {\n          ...MessageFields\n        }\n      }\n      pageInfo {\n        ...PageInfoFields\n      }\n    }\n  }\n}"): (typeof documents)["query ThreadById($id: ID!, $lastMessages: Int = 50, $before: String) {\n  thread(id: $id) {\n    ...ThreadFields\n    messages(last: $lastMessages, before: $before) {\n      edges {\n        cursor\n        node {\n          ...MessageFields\n        }\n      }\n      pageInfo {\n        ...PageInfoFields\n      }\n    }\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "subscription ThreadEvents($threadId: ID!, $after: String) {\n  threadEvents(threadId: $threadId, after: $after) {\n    __typename\n    ... on MessageAdded {\n      cursor\n      seq\n      message {\n        ...MessageFields\n      }\n    }\n    ... on MessageDelta {\n      cursor\n      messageId\n      partIndex\n      index\n      delta\n    }\n    ... on MessageCompleted {\n      cursor\n      message {\n        ...MessageFields\n      }\n    }\n    ... on MessageEdited {\n      cursor\n      message {\n        ...MessageFields\n      }\n    }\n    ... on MessageDeleted {\n      cursor\n      seq\n      messageId\n    }\n    ... on RunStatusChanged {\n      cursor\n      run {\n        id\n        status\n      }\n    }\n    ... on ThreadUpdated {\n      cursor\n      thread {\n        id\n        title\n      }\n    }\n    ... on ThreadDeleted {\n      cursor\n      threadId\n    }\n  }\n}"): (typeof documents)["subscription ThreadEvents($threadId: ID!, $after: String) {\n  threadEvents(threadId: $threadId, after: $after) {\n    __typename\n    ... on MessageAdded {\n      cursor\n      seq\n      message {\n        ...MessageFields\n      }\n    }\n    ... on MessageDelta {\n      cursor\n      messageId\n      partIndex\n      index\n      delta\n    }\n    ... on MessageCompleted {\n      cursor\n      message {\n        ...MessageFields\n      }\n    }\n    ... on MessageEdited {\n      cursor\n      message {\n        ...MessageFields\n      }\n    }\n    ... on MessageDeleted {\n      cursor\n      seq\n      messageId\n    }\n    ... on RunStatusChanged {\n      cursor\n      run {\n        id\n        status\n      }\n    }\n    ... on ThreadUpdated {\n      cursor\n      thread {\n        id\n        title\n      }\n    }\n    ... on ThreadDeleted {\n      cursor\n      threadId\n    }\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "query ThreadsPage($first: Int = 20, $after: String, $status: ThreadStatus, $metadata: JSON, $lastMessages: Int = 5, $firstRuns: Int = 3) {\n  threads(first: $first, after: $after, status: $status, metadata: $metadata) {\n    edges {\n      cursor\n      node {\n        ...ThreadFields\n        messages(last: $lastMessages) {\n          edges {\n            node {\n              ...MessageFields\n            }\n          }\n        }\n        runs(first: $firstRuns) {\n          edges {\n            node {\n              ...RunFields\n            }\n          }\n        }\n      }\n    }\n    pageInfo {\n      ...PageInfoFields\n    }\n  }\n}"): (typeof documents)["query ThreadsPage($first: Int = 20, $after: String, $status: ThreadStatus, $metadata: JSON, $lastMessages: Int = 5, $firstRuns: Int = 3) {\n  threads(first: $first, after: $after, status: $status, metadata: $metadata) {\n    edges {\n      cursor\n      node {\n        ...ThreadFields\n        messages(last: $lastMessages) {\n          edges {\n            node {\n              ...MessageFields\n            }\n          }\n        }\n        runs(first: $firstRuns) {\n          edges {\n            node {\n              ...RunFields\n            }\n          }\n        }\n      }\n    }\n    pageInfo {\n      ...PageInfoFields\n    }\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "query RunRequiredAction($id: ID!) {\n  run(id: $id) {\n    ...RunFields\n    requiredAction {\n      toolCalls {\n        callId\n        name\n        arguments\n      }\n    }\n  }\n}\n\nmutation SubmitToolResults($input: SubmitToolResultsInput!) {\n  submitToolResults(input: $input) {\n    ...RunFields\n    requiredAction {\n      toolCalls {\n        callId\n      }\n    }\n  }\n}"): (typeof documents)["query RunRequiredAction($id: ID!) {\n  run(id: $id) {\n    ...RunFields\n    requiredAction {\n      toolCalls {\n        callId\n        name\n        arguments\n      }\n    }\n  }\n}\n\nmutation SubmitToolResults($input: SubmitToolResultsInput!) {\n  submitToolResults(input: $input) {\n    ...RunFields\n    requiredAction {\n      toolCalls {\n        callId\n      }\n    }\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation UpdateRunStatus($input: UpdateRunStatusInput!) {\n  updateRunStatus(input: $input) {\n    ...RunFields\n  }\n}"): (typeof documents)["mutation UpdateRunStatus($input: UpdateRunStatusInput!) {\n  updateRunStatus(input: $input) {\n    ...RunFields\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "subscription ViewerEvents($after: String) {\n  viewerEvents(after: $after) {\n    __typename\n    ... on ThreadCreated {\n      cursor\n      thread {\n        id\n        title\n      }\n    }\n    ... on ViewerThreadUpdated {\n      cursor\n      thread {\n        id\n        title\n        status\n      }\n    }\n    ... on ThreadActivity {\n      cursor\n      threadId\n      unreadCount\n      lastMessage {\n        ...MessageFields\n      }\n    }\n    ... on ThreadRead {\n      cursor\n      unreadCount\n      thread {\n        id\n        lastReadSeq\n      }\n    }\n    ... on ViewerRunStatusChanged {\n      cursor\n      run {\n        id\n        status\n      }\n    }\n    ... on ViewerThreadDeleted {\n      cursor\n      threadId\n    }\n  }\n}"): (typeof documents)["subscription ViewerEvents($after: String) {\n  viewerEvents(after: $after) {\n    __typename\n    ... on ThreadCreated {\n      cursor\n      thread {\n        id\n        title\n      }\n    }\n    ... on ViewerThreadUpdated {\n      cursor\n      thread {\n        id\n        title\n        status\n      }\n    }\n    ... on ThreadActivity {\n      cursor\n      threadId\n      unreadCount\n      lastMessage {\n        ...MessageFields\n      }\n    }\n    ... on ThreadRead {\n      cursor\n      unreadCount\n      thread {\n        id\n        lastReadSeq\n      }\n    }\n    ... on ViewerRunStatusChanged {\n      cursor\n      run {\n        id\n        status\n      }\n    }\n    ... on ViewerThreadDeleted {\n      cursor\n      threadId\n    }\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "query Viewer {\n  viewer {\n    id\n  }\n}"): (typeof documents)["query Viewer {\n  viewer {\n    id\n  }\n}"];

export function graphql(source: string) {
  return (documents as any)[source] ?? {};
}

export type DocumentType<TDocumentNode extends DocumentNode<any, any>> = TDocumentNode extends DocumentNode<  infer TType,  any>  ? TType  : never;