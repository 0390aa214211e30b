// An integrator's second JOSE library: `jose` decrypts the JWE Warden pushed
// ($JWE) with the app's private key ($PRIVATE_JWK). Prints one JSON line.
import { compactDecrypt, importJWK } from 'jose';

const { JWE, PRIVATE_JWK, ALG } = process.env;
const key = await importJWK(JSON.parse(PRIVATE_JWK), ALG);
const { plaintext, protectedHeader } = await compactDecrypt(JWE, key);
console.log(JSON.stringify({
  header: protectedHeader,
  plaintext: JSON.parse(new TextDecoder().decode(plaintext)),
}));
