/** One GraphQL answer as sent on the wire: its text, for sizes, and its parsed form. */
export interface GraphqlAnswer {
  text: string;
  json: { data?: Record<string, unknown> | null; errors?: Array<{ message: string }> };
}

/** POSTs one operation and returns the answer, whatever it holds. */
export async function postGraphql(url: string, token: string, body: string): Promise<GraphqlAnswer> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body,
  });
  const text = await response.text();
  return { text, json: JSON.parse(text) };
}

/** POSTs one operation and returns its data; throws on HTTP or GraphQL errors. */
export async function callGraphql<T>(url: string, token: string, query: string, variables: Record<string, unknown> = {}): Promise<T> {
  const { json, text } = await postGraphql(url, token, JSON.stringify({ query, variables }));
  if (json.errors?.length || !json.data) throw new Error(`GraphQL call failed: ${text.slice(0, 500)}`);
  return json.data as T;
}
