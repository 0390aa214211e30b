// {{name}}: a Warden credential delivery, in JavaScript.
//
// Sends each event as JSON to the app's hook URL. The host signs, retries
// and sends only to origins on the binding's allowed_origins.

export function deliver(event, config) {
  let url, body;
  if (event.tag === 'credential') {
    const e = event.val;
    if (!e.hookUrl) return [];
    url = e.hookUrl;
    body = { type: `client.${e.kind}`, tenant: e.tenant, client_id: e.clientId, client_secret: e.clientSecret,
      token_endpoint: e.tokenEndpoint, event_id: e.eventId, occurred_at: Number(e.occurredAt) };
  } else {
    const e = event.val;
    url = e.hookUrl;
    body = { type: e.type, tenant: e.tenant, installation: e.installation.id, app: e.installation.app,
      status: e.status, sequence: Number(e.sequence), event_id: e.eventId, occurred_at: Number(e.occurredAt) };
    if (e.credentials) {
      const c = e.credentials;
      body.credentials = { client_id: c.clientId, token_endpoint: c.tokenEndpoint,
        client_secret_jwe: c.clientSecretJwe, client_secret: c.clientSecret };
    }
  }
  return [{ url, headers: [{ name: 'content-type', value: 'application/json' }], body: JSON.stringify(body) }];
}
