/** Whether the TCP ports a devnet needs are free, checked by listening on them as the nodes will. */
import { createServer } from "node:net";
import { DevnetError } from "./errors";

/** True when `port` on `host` can be listened on now. */
export function portFree(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once("error", () => resolve(false));
    server.listen({ host, port, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

/** Throws `DEVNET_PORT_BUSY` naming every busy port among `ports` (label to port). */
export async function assertPortsFree(host: string, ports: readonly { label: string; port: number }[]): Promise<void> {
  const busy: { label: string; port: number }[] = [];
  for (const entry of ports) if (!(await portFree(host, entry.port))) busy.push(entry);
  if (busy.length > 0) {
    const list = busy.map((b) => `${b.port} (${b.label})`).join(", ");
    throw new DevnetError("DEVNET_PORT_BUSY", `ports already in use on ${host}: ${list}`, { host, busy });
  }
}
