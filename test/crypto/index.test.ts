/**
 * The crypto module's functions, run against every available backend, plus backend selection.
 */
import { after, describe, it } from "node:test"
import assert from "node:assert/strict"
import { spawnSync } from "node:child_process"
import { fileURLToPath } from "node:url"
import fc from "fast-check"
import { ErrorCode, ProtocolError } from "../../src/errors.js"
import * as crypto from "../../src/crypto/index.js"
import { toHex } from "../vectors/hex.js"
import { NACL_BOX } from "../vectors/nacl.js"
import { LIBZMQ_CLIENT_KEYS } from "../vectors/z85.js"
import { availableBackends, SODIUM_NATIVE_INSTALLED } from "./available-backends.js"

const backendNames = (await availableBackends()).map((b) => b.name)
const initialBackend = crypto.cryptoBackend().name
after(async () => {
  await crypto.useCryptoBackend(initialBackend)
})

function isKeyExchangeError(err: unknown): boolean {
  return err instanceof ProtocolError && err.code === ErrorCode.KEY_EXCHANGE
}

describe("constants", () => {
  it("has NaCl's sizes", () => {
    assert.equal(crypto.KEY_BYTES, 32)
    assert.equal(crypto.NONCE_BYTES, 24)
    assert.equal(crypto.MAC_BYTES, 16)
  })
})

describe("backend selection", () => {
  const indexUrl = new URL("../../src/crypto/index.js", import.meta.url).href

  function selectedIn(env: string | undefined): { status: number | null; stdout: string; stderr: string } {
    const childEnv = { ...process.env }
    delete childEnv[crypto.CRYPTO_ENV_VAR]
    if (env !== undefined) childEnv[crypto.CRYPTO_ENV_VAR] = env
    const script =
      `const m = await import(${JSON.stringify(indexUrl)}); ` +
      `const ready = await m.cryptoReady(); ` +
      `process.stdout.write(ready === m.cryptoBackend().name ? ready : "mismatch")`
    const result = spawnSync(process.execPath, ["--input-type=module", "-e", script], {
      env: childEnv,
      encoding: "utf8",
      cwd: fileURLToPath(new URL(".", import.meta.url)),
    })
    return { status: result.status, stdout: result.stdout, stderr: result.stderr }
  }

  it("picks sodium-native when it is installed and nothing is forced", () => {
    const result = selectedIn(undefined)
    assert.equal(result.status, 0, result.stderr)
    assert.equal(result.stdout, SODIUM_NATIVE_INSTALLED ? "sodium-native" : "libsodium-wrappers")
  })

  for (const name of backendNames) {
    it(`IRONHOUSE_CRYPTO=${name} forces ${name}`, () => {
      const result = selectedIn(name)
      assert.equal(result.status, 0, result.stderr)
      assert.equal(result.stdout, name)
    })
  }

  it("IRONHOUSE_CRYPTO with an unknown name fails the import with a clear error", () => {
    const result = selectedIn("openssl")
    assert.notEqual(result.status, 0)
    assert.match(result.stderr, /IRONHOUSE_CRYPTO: expected one of "sodium-native", "libsodium-wrappers" or unset, got "openssl"/)
  })

  it("useCryptoBackend switches the backend", async () => {
    for (const name of backendNames) {
      await crypto.useCryptoBackend(name)
      assert.equal(crypto.cryptoBackend().name, name)
    }
  })

  it("useCryptoBackend rejects a bad name", async () => {
    await assert.rejects(crypto.useCryptoBackend("nacl" as never), {
      name: "RangeError",
      message: /expected one of "sodium-native", "libsodium-wrappers", got "nacl"/,
    })
    await assert.rejects(crypto.useCryptoBackend(42 as never), { name: "TypeError" })
  })
})

for (const name of backendNames) {
  describe(`crypto module on ${name}`, () => {
    it("selects the backend", async () => {
      await crypto.useCryptoBackend(name)
      assert.equal(crypto.cryptoBackend().name, name)
    })

    it("NaCl box.c: boxSeal(m, n, bobpk, alicesk) gives the published box", () => {
      const box = crypto.boxSeal(NACL_BOX.message, NACL_BOX.nonce, NACL_BOX.bobPublic, NACL_BOX.aliceSecret)
      assert.equal(toHex(box), toHex(NACL_BOX.box))
    })

    it("NaCl box2.c: boxOpen(c, n, alicepk, bobsk) recovers the message", () => {
      const message = crypto.boxOpen(NACL_BOX.box, NACL_BOX.nonce, NACL_BOX.alicePublic, NACL_BOX.bobSecret)
      assert.ok(message !== undefined)
      assert.equal(toHex(message), toHex(NACL_BOX.message))
    })

    it("precompute gives firstkey; seal/open with it match the secretbox vectors", () => {
      const key = crypto.precompute(NACL_BOX.bobPublic, NACL_BOX.aliceSecret)
      assert.equal(toHex(key), toHex(NACL_BOX.firstKey))
      assert.equal(toHex(crypto.seal(NACL_BOX.message, NACL_BOX.nonce, key)), toHex(NACL_BOX.box))
      const opened = crypto.open(NACL_BOX.box, NACL_BOX.nonce, key)
      assert.ok(opened !== undefined)
      assert.equal(toHex(opened), toHex(NACL_BOX.message))
    })

    it("open returns undefined when any bit of box, nonce or key is flipped", () => {
      const inputs = [NACL_BOX.box, NACL_BOX.nonce, NACL_BOX.firstKey] as const
      fc.assert(
        fc.property(
          fc.integer({ min: 0, max: 2 }).chain((which) =>
            fc.tuple(fc.constant(which), fc.integer({ min: 0, max: inputs[which]!.length * 8 - 1 })),
          ),
          ([which, bit]) => {
            const [box, nonce, key] = inputs.map((a) => a.slice()) as [Uint8Array, Uint8Array, Uint8Array]
            const target = [box, nonce, key][which]!
            target[bit >> 3]! ^= 1 << (bit & 7)
            assert.equal(crypto.open(box, nonce, key), undefined)
          },
        ),
        { numRuns: 100 },
      )
    })

    it("open / openInto treat a box shorter than a MAC as unauthentic", () => {
      assert.equal(crypto.open(new Uint8Array(15), NACL_BOX.nonce, NACL_BOX.firstKey), undefined)
      assert.equal(crypto.openInto(new Uint8Array(0), new Uint8Array(3), NACL_BOX.nonce, NACL_BOX.firstKey), false)
    })

    it("precompute throws ProtocolError(KEY_EXCHANGE) for every weak key", () => {
      for (const point of crypto.LOW_ORDER_POINTS) {
        assert.throws(() => crypto.precompute(point, NACL_BOX.aliceSecret), isKeyExchangeError)
      }
    })

    it("boxSeal throws KEY_EXCHANGE and boxOpen returns undefined for a weak key", () => {
      const weak = crypto.LOW_ORDER_POINTS[2]!
      assert.throws(() => crypto.boxSeal(NACL_BOX.message, NACL_BOX.nonce, weak, NACL_BOX.aliceSecret), isKeyExchangeError)
      assert.equal(crypto.boxOpen(NACL_BOX.box, NACL_BOX.nonce, weak, NACL_BOX.bobSecret), undefined)
    })

    it("generateKeyPair uses the injected random source (libzmq's client test key)", () => {
      const pair = crypto.generateKeyPair((n) => {
        assert.equal(n, 32)
        return LIBZMQ_CLIENT_KEYS.secretKey.slice()
      })
      assert.equal(toHex(pair.secretKey), toHex(LIBZMQ_CLIENT_KEYS.secretKey))
      assert.equal(toHex(pair.publicKey), toHex(LIBZMQ_CLIENT_KEYS.publicKey))
    })

    it("generateKeyPair draws fresh keys whose public half matches publicFromSecret", () => {
      const a = crypto.generateKeyPair()
      const b = crypto.generateKeyPair()
      assert.notEqual(toHex(a.secretKey), toHex(b.secretKey))
      assert.equal(toHex(crypto.publicFromSecret(a.secretKey)), toHex(a.publicKey))
    })

    it("two fresh key pairs agree on the precomputed key and talk through box", () => {
      const client = crypto.generateKeyPair()
      const server = crypto.generateKeyPair()
      assert.equal(
        toHex(crypto.precompute(server.publicKey, client.secretKey)),
        toHex(crypto.precompute(client.publicKey, server.secretKey)),
      )
      const nonce = crypto.randomBytes(24)
      const box = crypto.boxSeal(Uint8Array.of(1, 2, 3), nonce, server.publicKey, client.secretKey)
      const opened = crypto.boxOpen(box, nonce, client.publicKey, server.secretKey)
      assert.deepEqual(opened && [...opened], [1, 2, 3])
    })

    it("constantTimeEqual compares contents, and different lengths are unequal", () => {
      assert.equal(crypto.constantTimeEqual(Uint8Array.of(1, 2), Uint8Array.of(1, 2)), true)
      assert.equal(crypto.constantTimeEqual(Uint8Array.of(1, 2), Uint8Array.of(1, 3)), false)
      assert.equal(crypto.constantTimeEqual(Uint8Array.of(1, 2), Uint8Array.of(1, 2, 0)), false)
      assert.equal(crypto.constantTimeEqual(new Uint8Array(0), new Uint8Array(0)), true)
    })

    it("wipe zeroes the buffer", () => {
      const secret = Uint8Array.of(9, 9, 9)
      crypto.wipe(secret)
      assert.deepEqual([...secret], [0, 0, 0])
    })
  })
}

describe("argument errors", () => {
  const key = NACL_BOX.firstKey
  const nonce = NACL_BOX.nonce

  it("seal / open: nonce and key lengths", () => {
    assert.throws(() => crypto.seal(new Uint8Array(1), nonce.subarray(1), key), {
      name: "RangeError",
      message: "sealInto: expected nonce of length 24, got length 23",
    })
    assert.throws(() => crypto.open(new Uint8Array(20), nonce, key.subarray(0, 31)), {
      name: "RangeError",
      message: "openInto: expected key of length 32, got length 31",
    })
  })

  it("seal / open: wrong types", () => {
    assert.throws(() => crypto.seal("hello" as unknown as Uint8Array, nonce, key), {
      name: "TypeError",
      message: /expected message as Uint8Array, got string of length 5/,
    })
    assert.throws(() => crypto.seal(new Uint8Array(1), nonce, null as unknown as Uint8Array), {
      name: "TypeError",
      message: /expected key as Uint8Array of length 32, got null/,
    })
  })

  it("sealInto / openInto: output length", () => {
    assert.throws(() => crypto.sealInto(new Uint8Array(20), new Uint8Array(5), nonce, key), {
      name: "RangeError",
      message: /expected output of length 21 \(message \+ 16\), got length 20/,
    })
    assert.throws(() => crypto.openInto(new Uint8Array(5), new Uint8Array(20), nonce, key), {
      name: "RangeError",
      message: /expected output of length 4 \(box - 16\), got length 5/,
    })
  })

  it("precompute / publicFromSecret: key lengths, never printing the key", () => {
    const secret = Uint8Array.from({ length: 31 }, (_, i) => 200 + (i % 50))
    assert.throws(
      () => crypto.precompute(NACL_BOX.bobPublic, secret),
      (err: unknown) => {
        assert.ok(err instanceof RangeError)
        assert.equal(err.message, "precompute: expected secretKey of length 32, got length 31")
        return true
      },
    )
    assert.throws(() => crypto.publicFromSecret(new Uint8Array(33)), {
      name: "RangeError",
      message: "publicFromSecret: expected secretKey of length 32, got length 33",
    })
  })

  it("generateKeyPair: a random source returning the wrong length", () => {
    assert.throws(() => crypto.generateKeyPair(() => new Uint8Array(16)), {
      name: "RangeError",
      message: /expected random\(32\) result of length 32, got length 16/,
    })
  })

  it("randomBytes: negative or fractional counts", () => {
    assert.throws(() => crypto.randomBytes(-1), { name: "RangeError" })
    assert.throws(() => crypto.randomBytes(1.5), { name: "RangeError" })
  })

  it("constantTimeEqual / wipe: wrong types", () => {
    assert.throws(() => crypto.constantTimeEqual("a" as unknown as Uint8Array, new Uint8Array(1)), {
      name: "TypeError",
    })
    assert.throws(() => crypto.wipe([1, 2] as unknown as Uint8Array), { name: "TypeError" })
  })
})
