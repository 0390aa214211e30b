// {{name}}: a Warden permission check (AuthZEN), in JavaScript.
//
// Permits an app's service account an action it was granted, on a resource
// the tenant's admin selected for it; denies everything else, saying why.
// {"cache_for_seconds": 60} lets the host reuse a decision for the same
// evaluation that long without calling the plugin.

export function check(request, config) {
  let cacheFor = 0;
  try {
    cacheFor = JSON.parse(config).cache_for_seconds ?? 0;
  } catch {
    // No settings: call the plugin every time.
  }
  return { ...decide(request), cacheFor };
}

function decide(request) {
  const { installation, action, resource } = request;
  if (!installation) {
    return { decision: false, reason: `${request.subject.id} is not an app's service account` };
  }
  if (!installation.permissions.includes(action.name)) {
    return { decision: false, reason: `${installation.app} was not granted ${action.name}` };
  }
  if (installation.resources.tag === 'selected') {
    const ids = installation.resources.val.filter((s) => s.type === resource.type).flatMap((s) => s.ids);
    if (!ids.includes(resource.id)) {
      return { decision: false, reason: `${installation.app} may not touch ${resource.type} ${resource.id}` };
    }
  }
  return { decision: true, reason: `${installation.app} holds ${action.name} on ${resource.type} ${resource.id}` };
}
