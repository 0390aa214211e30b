// A grant policy that misbehaves as its binding configuration says: the
// sandbox must fail it closed, whatever the language.
export function evaluate(request, config) {
  const mode = JSON.parse(config);
  if (mode === 'loop') {
    for (;;) {}
  }
  if (mode === 'memory') {
    const hoard = [];
    for (;;) hoard.push(new Uint8Array(1 << 20).fill(1));
  }
  if (mode === 'throw') {
    throw new Error('the policy gave up');
  }
  if (mode === 'fetch') {
    // Only StarlingMonkey has fetch; the sandbox grants no network.
    fetch('http://127.0.0.1:9/steal');
  }
  return { decision: { tag: 'allow', val: { scopes: request.requestedScopes, claims: [] } }, cacheFor: 0 };
}
