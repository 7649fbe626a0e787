/** A message's `parts` with every field of every part type, as the tests select it. */
export const PARTS_SELECTION = `parts {
  __typename
  ... on TextPart { text }
  ... on ReasoningPart { text }
  ... on ToolCallPart { callId name arguments }
  ... on ToolResultPart { callId output isError }
  ... on FilePart { uri mediaType name sizeBytes }
}`;
