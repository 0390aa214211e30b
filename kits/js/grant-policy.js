// {{name}}: a Warden grant policy, in JavaScript.
//
// Binding configuration, e.g. {"allowed_scopes": ["read", "write"], "claims": {"org": "acme"}}:
// grants only requested scopes on allowed_scopes (invalid_scope when none is
// left) and adds claims to the token. Tokens for an app's installation keep
// what the tenant's admin approved. "cache_for_seconds": 300 lets the host
// reuse a decision for the same request that long without calling the plugin.
import { log } from 'warden:plugin/host@0.4.0';

export function evaluate(request, config) {
  let settings;
  try {
    settings = JSON.parse(config);
  } catch (e) {
    log('error', `bad binding configuration: ${e}`);
    const denied = { tag: 'deny', val: { code: 'access-denied', description: "the tenant's grant policy is misconfigured" } };
    return { decision: denied, cacheFor: 0 };
  }
  return { decision: decide(request, settings), cacheFor: settings.cache_for_seconds ?? 0 };
}

function decide(request, settings) {
  const claims = Object.entries(settings.claims ?? {}).map(([name, value]) => ({ name, value: JSON.stringify(value) }));
  if (request.installation) {
    return { tag: 'allow', val: { scopes: request.requestedScopes, claims } };
  }
  const allowed = settings.allowed_scopes ?? [];
  const scopes = request.requestedScopes.filter((s) => allowed.includes(s));
  if (request.requestedScopes.length > 0 && scopes.length === 0) {
    return { tag: 'deny', val: { code: 'invalid-scope',
      description: `none of the requested scopes is allowed by this tenant (allowed: ${allowed.join(' ')})` } };
  }
  return { tag: 'allow', val: { scopes, claims, lifetimeSeconds: settings.max_lifetime_seconds } };
}
