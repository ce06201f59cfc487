// Preloaded (`node --import`) into the server of `bench:control-plane`: the local provider no
// longer spawns `hangar agent` processes; it tells the benchmark (over the IPC channel) which nodes
// to simulate, with their one-time tokens, and the simulated agents speak the real protocol.
import { LocalProvider } from '../dist/providers/local/local-provider.js';

const nodes = new Set();
const tokens = new Map();
const send = (message) => process.send?.(message);

LocalProvider.prototype.provision = function (req) {
  // Provisioning again (a node that has not registered yet) may come with a new one-time token.
  if (tokens.get(req.nodeId) !== req.nodeToken) {
    nodes.add(req.nodeId);
    tokens.set(req.nodeId, req.nodeToken);
    send({
      type: 'provision',
      nodeId: req.nodeId,
      token: req.nodeToken,
      server: req.serverUrl,
      slots: req.slots,
    });
  }
  return Promise.resolve({ nodeId: req.nodeId, ref: 'sim', state: 'running' });
};
LocalProvider.prototype.describe = function (nodeId) {
  return Promise.resolve({ nodeId, ref: 'sim', state: nodes.has(nodeId) ? 'running' : 'gone' });
};
LocalProvider.prototype.terminate = function (nodeId) {
  tokens.delete(nodeId);
  if (nodes.delete(nodeId)) send({ type: 'terminate', nodeId });
  return Promise.resolve();
};
LocalProvider.prototype.list = function () {
  return Promise.resolve([...nodes].map((nodeId) => ({ nodeId, ref: 'sim', state: 'running' })));
};
