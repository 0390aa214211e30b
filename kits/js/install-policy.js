// {{name}}: a Warden install policy, in JavaScript.
//
// Binding configuration, e.g. {"listed_only": true, "withheld_permissions": ["files:write"]}:
// refuses apps that are not in the platform's catalog when listed_only, and
// leaves the optional permissions on withheld_permissions out of what is approved.

export function review(request, config) {
  const settings = JSON.parse(config);
  if (settings.listed_only && !request.listed) {
    return { tag: 'deny', val: `${request.appName} is not in the platform's catalog; this tenant installs listed apps only` };
  }
  const withheld = settings.withheld_permissions ?? [];
  const optional = request.permissions.filter((p) => !p.required).map((p) => p.name);
  return { tag: 'allow', val: request.approving.filter((p) => withheld.includes(p) && optional.includes(p)) };
}
