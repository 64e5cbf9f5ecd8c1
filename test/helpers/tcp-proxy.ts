import { createConnection, createServer, type Server, type Socket } from 'node:net';

/**
 * A TCP proxy a test controls: `down()` cuts every open connection and refuses new ones (accepts
 * and closes them at once), `up()` lets them through again. Stands between a client and Postgres
 * to make the server "unreachable for a while".
 */
export class TcpProxy {
  private readonly sockets = new Set<Socket>();
  private isDown = false;
  private server: Server | undefined;
  port = 0;

  constructor(
    private readonly targetHost: string,
    private readonly targetPort: number,
  ) {}

  async start(): Promise<void> {
    this.server = createServer((client) => {
      if (this.isDown) {
        client.destroy();
        return;
      }
      const upstream = createConnection({ host: this.targetHost, port: this.targetPort });
      this.sockets.add(client).add(upstream);
      const close = (): void => {
        client.destroy();
        upstream.destroy();
        this.sockets.delete(client);
        this.sockets.delete(upstream);
      };
      client.on('error', close).on('close', close);
      upstream.on('error', close).on('close', close);
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    const address = this.server.address();
    this.port = typeof address === 'object' && address !== null ? address.port : 0;
  }

  down(): void {
    this.isDown = true;
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
  }

  up(): void {
    this.isDown = false;
  }

  async stop(): Promise<void> {
    this.down();
    await new Promise<void>((resolve) => (this.server === undefined ? resolve() : this.server.close(() => resolve())));
  }
}
