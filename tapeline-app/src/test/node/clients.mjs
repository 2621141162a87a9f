// The JavaScript clients people use, called as an application calls them, for ClientsIT:
//   node clients.mjs CALLS.json RESULTS.json
// CALLS.json: {"calls": [{"id", "openaiBaseURL", "anthropicBaseURL", "headers"}]}; the call's id names what it
// does (see CALLS below). RESULTS.json: per call what the application got (text, finish reason, usage, ids,
// each streamed piece), or the failure.
import { createOpenAI } from '@ai-sdk/openai';
import Anthropic from '@anthropic-ai/sdk';
import { ChatOpenAI } from '@langchain/openai';
import { embed, generateText, streamText } from 'ai';
import { readFileSync, writeFileSync } from 'node:fs';

const PROMPT = 'Say hello in two words.';
const KEY = 'sk-clients-it';

const vercel = (call) => createOpenAI({ baseURL: call.openaiBaseURL, apiKey: KEY, headers: call.headers });

// what the Vercel AI SDK gives an application after a call
const vercelResult = async (result, deltas) => ({
  text: await result.text,
  deltas,
  finishReason: await result.finishReason,
  usage: pick(await result.usage, ['inputTokens', 'outputTokens', 'totalTokens']),
  responseId: (await result.response).id,
  modelId: (await result.response).modelId,
  timestamp: (await result.response).timestamp.toISOString(),
});

const vercelStream = async (model) => {
  const result = streamText({ model, prompt: PROMPT, maxRetries: 0 });
  const deltas = [];
  for await (const delta of result.textStream) {
    deltas.push(delta);
  }
  return vercelResult(result, deltas);
};

const langchain = (call) =>
  new ChatOpenAI({
    model: 'gpt-4.1-mini',
    temperature: 0,
    apiKey: KEY,
    maxRetries: 0,
    configuration: { baseURL: call.openaiBaseURL, defaultHeaders: call.headers },
  });

const anthropic = (call) =>
  new Anthropic({ baseURL: call.anthropicBaseURL, apiKey: KEY, defaultHeaders: call.headers, maxRetries: 0 });

const MESSAGE = { model: 'claude-sonnet-4-5', max_tokens: 64, messages: [{ role: 'user', content: PROMPT }] };

const CALLS = {
  'ai.generateText.responses': async (call) =>
    vercelResult(await generateText({ model: vercel(call)('gpt-4.1-mini'), prompt: PROMPT, maxRetries: 0 }), []),
  'ai.streamText.responses': async (call) => vercelStream(vercel(call)('gpt-4.1-mini')),
  'ai.generateText.chat': async (call) =>
    vercelResult(await generateText({ model: vercel(call).chat('gpt-4.1-mini'), prompt: PROMPT, maxRetries: 0 }), []),
  'ai.streamText.chat': async (call) => vercelStream(vercel(call).chat('gpt-4.1-mini')),
  'ai.embed': async (call) => {
    const result = await embed({
      model: vercel(call).embedding('text-embedding-3-small'),
      value: PROMPT,
      maxRetries: 0,
    });
    return { embedding: result.embedding, usage: result.usage };
  },
  'langchain.invoke': async (call) => {
    const message = await langchain(call).invoke(PROMPT);
    return {
      text: message.content,
      responseId: message.id,
      finishReason: message.response_metadata.finish_reason,
      usage: pick(message.usage_metadata, ['input_tokens', 'output_tokens', 'total_tokens']),
    };
  },
  'langchain.stream': async (call) => {
    const deltas = [];
    let usage;
    let responseId;
    for await (const chunk of await langchain(call).stream(PROMPT)) {
      deltas.push(chunk.content);
      usage = chunk.usage_metadata ?? usage;
      responseId = chunk.id ?? responseId;
    }
    return { text: deltas.join(''), deltas, responseId, usage: pick(usage, ['input_tokens', 'output_tokens', 'total_tokens']) };
  },
  'anthropic.messages.create': async (call) => {
    const message = await anthropic(call).messages.create(MESSAGE);
    return { message };
  },
  'anthropic.messages.stream': async (call) => {
    const stream = anthropic(call).messages.stream(MESSAGE);
    const deltas = [];
    stream.on('text', (delta) => deltas.push(delta));
    const message = await stream.finalMessage();
    return { message, deltas };
  },
};

function pick(object, names) {
  if (object === undefined || object === null) {
    return null;
  }
  return Object.fromEntries(names.map((name) => [name, object[name] ?? null]));
}

const { calls } = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const results = [];
for (const call of calls) {
  const run = CALLS[call.id];
  try {
    if (run === undefined) {
      throw new Error(`no such call: ${call.id}`);
    }
    results.push({ id: call.id, result: await run(call) });
  } catch (error) {
    results.push({ id: call.id, failure: String(error?.stack ?? error) });
  }
}
writeFileSync(process.argv[3], JSON.stringify(results));
