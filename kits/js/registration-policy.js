// {{name}}: a Warden registration policy, in JavaScript.
//
// Binding configuration, e.g. {"redirect_hosts": ["127.0.0.1", "localhost"], "scopes": ["read"]}:
// keeps only redirect URIs on redirect_hosts (refusing a client left with
// none) and only the scopes on scopes.

const hostOf = (uri) => {
  const rest = uri.split('://')[1] ?? '';
  const authority = rest.split(/[/?#]/)[0].split('@').pop();
  return authority.startsWith('[') ? authority.slice(0, authority.indexOf(']') + 1) : authority.split(':')[0];
};

export function evaluate(request, config) {
  const settings = JSON.parse(config);
  const hosts = settings.redirect_hosts;
  let redirectUris;
  if (hosts) {
    redirectUris = request.redirectUris.filter((u) => hosts.includes(hostOf(u)));
    if (request.redirectUris.length > 0 && redirectUris.length === 0) {
      return { tag: 'deny', val: `none of the redirect URIs is on a host this tenant accepts (${hosts.join(', ')})` };
    }
  }
  return { tag: 'allow', val: { redirectUris, grantTypes: undefined, scopes: settings.scopes } };
}
