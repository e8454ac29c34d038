// A port free a moment ago on 127.0.0.1, for a tracker that must name its twin's port before the twin
// listens (another process could take it meanwhile; on a test machine that does not happen in practice).

import net from 'node:net';

export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const {port} = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}
