/**
 * Set up for the `unit` project only: a unit test works in memory, so opening a socket — starting a
 * server, or connecting to one — fails the test at once with a message that says where such a test
 * belongs. Child processes (Biome, esbuild) are allowed: they talk through pipes, not sockets.
 */
import net from "node:net";

const WHY =
  "is not allowed in a unit test (the unit project runs in memory). A test that needs the emulator, s3rver or dynalite is an integration test: name its file *.integration.test.ts.";

net.Server.prototype.listen = function refuseListen(): never {
  throw new Error(`Starting a server ${WHY}`);
};
net.Socket.prototype.connect = function refuseConnect(): never {
  throw new Error(`Opening a connection ${WHY}`);
};
