// The official OpenAI Node SDK as a user's code calls it, for NodeSdkIT: node sdk-client.mjs CALLS.json RESULTS.json
// CALLS.json: {"calls": [{"id", "baseURL", "endpoint", "args", "headers"}]}; each call made in turn with the SDK
// method of its endpoint and the call's arguments; RESULTS.json: per call the parsed answer (a stream's chunks,
// a page's data) or the API error's status and error body.
import OpenAI from 'openai';
import { readFileSync, writeFileSync } from 'node:fs';

const { calls } = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const results = [];
for (const call of calls) {
  // no retries: each call reaches the agent once
  const client = new OpenAI({ apiKey: 'sk-node-sdk-it', baseURL: call.baseURL, maxRetries: 0, timeout: 60_000 });
  const options = { headers: call.headers };
  try {
    let answer;
    switch (call.endpoint) {
      case '/v1/chat/completions':
        answer = await client.chat.completions.create(call.args, options);
        break;
      case '/v1/completions':
        answer = await client.completions.create(call.args, options);
        break;
      case '/v1/embeddings':
        answer = await client.embeddings.create(call.args, options);
        break;
      case '/v1/responses':
        answer = await client.responses.create(call.args, options);
        break;
      case '/v1/models':
        answer = (await client.models.list({ ...options, query: call.args.extra_query })).data;
        break;
      default:
        throw new Error(`no SDK method for ${call.endpoint}`);
    }
    if (call.args.stream) {
      const chunks = [];
      for await (const chunk of answer) {
        chunks.push(chunk);
      }
      results.push({ id: call.id, chunks });
    } else {
      results.push({ id: call.id, body: answer });
    }
  } catch (error) {
    if (error instanceof OpenAI.APIError && error.status !== undefined) {
      results.push({ id: call.id, error: { status: error.status, body: error.error ?? null } });
    } else {
      results.push({ id: call.id, failure: String(error) });
    }
  }
}
writeFileSync(process.argv[3], JSON.stringify(results));
