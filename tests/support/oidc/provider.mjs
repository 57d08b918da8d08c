// A real OpenID provider for the SSO tests: node-oidc-provider on a free port of 127.0.0.1.
// Configured by one JSON document in OIDC_TEST_CONFIG: {clients: [...], users: {login: claims}}.
// Prints one JSON line {"issuer": ...} when it listens; stops when its standard input closes,
// so a test run that dies never leaves it behind.
import http from 'node:http';
import Provider from 'oidc-provider';

const config = JSON.parse(process.env.OIDC_TEST_CONFIG);

function account(id) {
  const claims = config.users[id];
  if (!claims) return undefined;
  return {
    accountId: id,
    async claims() {
      return { sub: id, ...claims };
    },
  };
}

const server = http.createServer();
server.listen(0, '127.0.0.1', () => {
  const issuer = `http://127.0.0.1:${server.address().port}`;
  const provider = new Provider(issuer, {
    clients: config.clients,
    findAccount: (_ctx, id) => account(id),
    claims: {
      openid: ['sub'],
      profile: ['name', 'preferred_username', 'groups', 'team', 'queues', 'department'],
      email: ['email', 'email_verified'],
    },
    // Scope claims go into the ID token itself, as Okta, Entra ID and Keycloak can be set to.
    conformIdTokenClaims: false,
    features: {
      devInteractions: { enabled: true },
      rpInitiatedLogout: { enabled: true },
    },
    pkce: { required: () => true },
    // No consent screen: the test users have agreed to everything already.
    async loadExistingGrant(ctx) {
      const grant = new ctx.oidc.provider.Grant({
        clientId: ctx.oidc.client.clientId,
        accountId: ctx.oidc.session.accountId,
      });
      grant.addOIDCScope('openid profile email');
      await grant.save();
      return grant;
    },
    cookies: { keys: ['hindsight-test-cookie-key'] },
  });
  server.on('request', provider.callback());
  process.stdout.write(`${JSON.stringify({ issuer })}\n`);
});

process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
