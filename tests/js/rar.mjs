// openid-client 6 with rich authorization requests (RFC 9396) and resource
// indicators (RFC 8707): a web app pushes a code-flow request naming an
// API and asking for access to one project; the person reads the request
// in the tenant's words on the consent page and approves; the tokens carry
// the details and the API as audience, through a refresh and introspection.
// A service asks for details with client_credentials; a type it may not ask
// for and an unknown resource are refused. Prints one JSON line the Rust
// test (tests/rich_authorization.rs) asserts on.
import * as client from 'openid-client';
import { errorCode, theForm, visit } from './pages.mjs';

const {
  ISSUER, WEB_CLIENT_ID, WEB_CLIENT_SECRET, SERVICE_CLIENT_ID, SERVICE_CLIENT_SECRET,
  USERNAME, PASSWORD, REDIRECT_URI, API,
} = process.env;
const insecure = { execute: [client.allowInsecureRequests] }; // tests run on plain http
const claimsOf = (jwt) => JSON.parse(Buffer.from(jwt.split('.')[1], 'base64url').toString());
const report = {};

const web = await client.discovery(new URL(ISSUER), WEB_CLIENT_ID, WEB_CLIENT_SECRET, undefined, insecure);
report.types_supported = web.serverMetadata().authorization_details_types_supported;
const details = [{ type: 'project_access', actions: ['read'], identifier: 'p-7' }];
const verifier = client.randomPKCECodeVerifier();
const state = client.randomState();
const url = await client.buildAuthorizationUrlWithPAR(web, {
  redirect_uri: REDIRECT_URI,
  scope: 'openid projects:read',
  resource: API,
  authorization_details: JSON.stringify(details),
  code_challenge: await client.calculatePKCECodeChallenge(verifier),
  code_challenge_method: 'S256',
  state,
});

// Sign in, then read the consent page before approving.
let page = await visit(url.href);
let form = theForm(page);
page = await visit(form.action, { ...form.hidden, username: USERNAME, password: PASSWORD });
page = await visit(new URL(page.location, page.url).href);
report.consent = {
  status: page.status,
  tenant_words: page.html.includes('Work on one of your projects'),
  names_project: page.html.includes('p-7'),
  names_action: page.html.includes('read'),
};
form = theForm(page);
page = await visit(form.action, { ...form.hidden, decision: 'approve' });
const callback = new URL(page.location);
const tokens = await client.authorizationCodeGrant(web, callback, {
  pkceCodeVerifier: verifier, expectedState: state,
});
const access = claimsOf(tokens.access_token);
report.code = {
  response_details: tokens.authorization_details,
  token_details: access.authorization_details,
  aud: access.aud,
  scope: tokens.scope,
};

// A refresh keeps them; asking for the API alone keeps the audience.
const refreshed = await client.refreshTokenGrant(web, tokens.refresh_token, { resource: API });
report.refresh = {
  response_details: refreshed.authorization_details,
  aud: claimsOf(refreshed.access_token).aud,
};
try {
  await client.refreshTokenGrant(web, refreshed.refresh_token, { resource: 'https://other.acme.test/' });
  report.refresh.other_resource_error = null;
} catch (e) {
  report.refresh.other_resource_error = await errorCode(e);
}

// The API reads them by introspection.
const introspected = await client.tokenIntrospection(web, refreshed.access_token);
report.introspection = { active: introspected.active, details: introspected.authorization_details };

// A service asks for details itself.
const service = await client.discovery(new URL(ISSUER), SERVICE_CLIENT_ID, SERVICE_CLIENT_SECRET, undefined, insecure);
const own = await client.clientCredentialsGrant(service, {
  authorization_details: JSON.stringify([{ type: 'project_access', actions: ['read', 'write'], identifier: 'p-9' }]),
});
report.client_credentials = {
  response_details: own.authorization_details,
  aud: claimsOf(own.access_token).aud,
};

// Refusals, as openid-client surfaces them.
const refused = async (parameters) => {
  try {
    await client.clientCredentialsGrant(service, parameters);
    return null;
  } catch (e) {
    return errorCode(e);
  }
};
report.refused = {
  other_type: await refused({ authorization_details: JSON.stringify([{ type: 'payment_initiation' }]) }),
  not_json: await refused({ authorization_details: '{"type": "project_access"' }),
  bad_action: await refused({ authorization_details: JSON.stringify([{ type: 'project_access', actions: ['delete'] }]) }),
  unknown_resource: await refused({ resource: 'https://unknown.acme.test/' }),
};
try {
  await client.buildAuthorizationUrlWithPAR(web, {
    redirect_uri: REDIRECT_URI, scope: 'projects:read', resource: 'https://unknown.acme.test/',
    code_challenge: await client.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256',
  });
  report.refused.pushed_unknown_resource = null;
} catch (e) {
  report.refused.pushed_unknown_resource = await errorCode(e);
}

console.log(JSON.stringify(report));
