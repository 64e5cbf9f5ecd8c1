import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** What the receiver does with one request: answer with a status (and headers), or never answer. */
export type ReceiverAction = { readonly status: number; readonly headers?: Record<string, string> } | 'hang';

export interface ReceivedRequest {
  readonly path: string;
  /** The alert id the request carries: Idempotency-Key (generic), the context block (Slack), the embed footer (Discord). */
  readonly alertId: string;
  readonly idempotencyKey: string | undefined;
  readonly body: unknown;
  /** Receiver time (the test's clock) when the request arrived. */
  readonly at: number;
  /** This request's attempt number for its (path, alert id). */
  readonly attempt: number;
  readonly status: number | 'hang';
}

/**
 * A local webhook endpoint on 127.0.0.1 for tests: records every request, answers as the script
 * says (default 200), and keeps the list of accepted (2xx) deliveries per path.
 */
export class WebhookReceiver {
  readonly requests: ReceivedRequest[] = [];
  private server: Server | undefined;
  private readonly attempts = new Map<string, number>();

  constructor(
    private readonly script: (path: string, alertId: string, attempt: number) => ReceiverAction | undefined,
    private readonly now: () => number,
  ) {}

  async start(): Promise<string> {
    const server = createServer((req, res) => void this.handle(req, res));
    this.server = server;
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  /** Alert ids accepted (answered 2xx) at `path`, in arrival order. */
  accepted(path: string): string[] {
    return this.requests.filter((r) => r.path === path && typeof r.status === 'number' && r.status < 300).map((r) => r.alertId);
  }

  async close(): Promise<void> {
    const server = this.server;
    if (server === undefined) return;
    server.closeAllConnections();
    await new Promise<void>((done) => server.close(() => done()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown;
    const path = req.url ?? '';
    const idempotencyKey = req.headers['idempotency-key'] as string | undefined;
    const alertId = idempotencyKey ?? alertIdOf(body);
    const key = `${path} ${alertId}`;
    const attempt = (this.attempts.get(key) ?? 0) + 1;
    this.attempts.set(key, attempt);
    const action = this.script(path, alertId, attempt) ?? { status: 200 };
    this.requests.push({ path, alertId, idempotencyKey, body, at: this.now(), attempt, status: action === 'hang' ? 'hang' : action.status });
    if (action === 'hang') return;
    res.writeHead(action.status, { 'content-type': 'text/plain', ...action.headers });
    res.end(action.status < 300 ? 'ok' : `error ${action.status}`);
  }
}

function alertIdOf(body: unknown): string {
  const b = body as { blocks?: { elements?: { text?: string }[] }[]; embeds?: { footer?: { text?: string } }[] };
  const slack = b.blocks?.[2]?.elements?.[0]?.text?.split(' · ')[2];
  return slack ?? b.embeds?.[0]?.footer?.text ?? '';
}
