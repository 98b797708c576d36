// The bundled Ed25519 verifier of lms/static/js/verify.js (for phones without WebCrypto Ed25519), timed in node.
// Run from the repository root: node bench/bench_verify_js.mjs
import fs from 'node:fs';
import {webcrypto} from 'node:crypto';
const src = fs.readFileSync(new URL('../lms/static/js/verify.js', import.meta.url), 'utf8');
const start = src.indexOf('var ed = (function');
const end = src.indexOf('}());', start) + 5;
const ed = new Function('crypto', src.slice(start, end) + '; return ed;')(webcrypto);
const kp = await webcrypto.subtle.generateKey({name: 'Ed25519'}, true, ['sign', 'verify']);
const pub = new Uint8Array(await webcrypto.subtle.exportKey('raw', kp.publicKey));
const msg = new TextEncoder().encode('RNM-MAPE certificate 1\nABCDEF\x1fK7QXM4PA93\x1fMaría\x1fCurso\x1f6\x1f2026-11-28');
const sig = new Uint8Array(await webcrypto.subtle.sign({name: 'Ed25519'}, kp.privateKey, msg));
console.log('ok', await ed(pub, sig, msg), 'forged', await ed(pub, sig, msg.map((b, i) => i === 30 ? b ^ 1 : b)));
const t = performance.now(); for (let i = 0; i < 20; i++) await ed(pub, sig, msg);
console.log('ms per verify', ((performance.now() - t) / 20).toFixed(1));
