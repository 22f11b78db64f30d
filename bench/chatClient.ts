/**
 * A socket.io client reduced to what bench/chat.ts needs, speaking the engine.io 4 and
 * socket.io 5 wire formats over a bare WebSocket: connect to /chat, emit `send` with an ack,
 * answer pings, and count `message` events. It reads the clientId of a delivery with indexOf
 * instead of decoding every packet, so that 2,000 clients receiving ~40,000 messages a second
 * fit in one core of the machine that also runs the server: the full client saturated that core
 * and its queueing showed up as server latency.
 */
import WebSocket from 'ws';

type Ack = (reply: { ok?: boolean } | undefined) => void;

const NSP = '/chat,';
const MESSAGE_EVENT = `42${NSP}["message`; // "message" and "messages"
const CLIENT_ID = '"clientId":"';

export class BenchClient {
  onDelivery: ((clientId: string) => void) | null = null;
  private readonly acks = new Map<number, Ack>();
  private nextAck = 1;

  private constructor(private readonly ws: WebSocket) {}

  static connect(baseUrl: string, options: { cookie?: string; room: number }): Promise<BenchClient> {
    const url = `${baseUrl.replace(/^http/, 'ws')}/socket.io/?EIO=4&transport=websocket&room=${options.room}`;
    const ws = new WebSocket(url, { headers: options.cookie ? { cookie: options.cookie } : {}, perMessageDeflate: false });
    const client = new BenchClient(ws);
    return new Promise((resolve, reject) => {
      ws.on('error', reject);
      ws.on('message', (data: Buffer) => {
        const text = data.toString();
        if (text.startsWith(MESSAGE_EVENT)) return client.delivered(text);
        if (text === '2') return ws.send('3'); // ping → pong
        if (text.startsWith(`43${NSP}`)) return client.acked(text);
        if (text.startsWith('0')) return ws.send(`40${NSP}`); // engine.io open → join the namespace
        if (text.startsWith(`40${NSP}`)) return resolve(client);
        if (text.startsWith(`44${NSP}`)) return reject(new Error(`connexion refusée : ${text}`));
      });
    });
  }

  emit(event: string, payload: unknown, ack: Ack): void {
    const id = this.nextAck++;
    this.acks.set(id, ack);
    this.ws.send(`42${NSP}${id}${JSON.stringify([event, payload])}`);
  }

  close(): void {
    this.ws.close();
  }

  private delivered(text: string): void {
    if (!this.onDelivery) return;
    for (let at = text.indexOf(CLIENT_ID); at >= 0; at = text.indexOf(CLIENT_ID, at + 1)) {
      this.onDelivery(text.slice(at + CLIENT_ID.length, text.indexOf('"', at + CLIENT_ID.length)));
    }
  }

  private acked(text: string): void {
    let i = 2 + NSP.length;
    let id = 0;
    while (text.charCodeAt(i) >= 48 && text.charCodeAt(i) <= 57) id = id * 10 + text.charCodeAt(i++) - 48;
    const ack = this.acks.get(id);
    if (!ack) return;
    this.acks.delete(id);
    ack((JSON.parse(text.slice(i)) as [{ ok?: boolean }])[0]);
  }
}
