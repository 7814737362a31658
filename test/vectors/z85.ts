/**
 * Z85 vectors. Sources in test/vectors/README.md.
 */
import { hex } from "./hex.js"

/** RFC 32 "Test Case": 8 octets <-> "HelloWorld". */
export const RFC32_HELLO_WORLD = {
  bytes: Uint8Array.of(0x86, 0x4f, 0xd2, 0x6f, 0xb5, 0x59, 0xf7, 0x5b),
  text: "HelloWorld",
} as const

/**
 * libzmq's CURVE test key pairs (doc/zmq_curve.adoc "TEST KEY VALUES"; the client pair is
 * also in tests/test_sodium.cpp, "paired according to hintjens.com/blog:45").
 */
export const LIBZMQ_CLIENT_KEYS = {
  publicKey: hex("BB88471D65E2659B30C55A5321CEBB5AAB2B70A398645C26DCA2B2FCB43FC518"),
  publicZ85: "Yne@$w-vo<fVvi]a<NY6T1ed:M$fCG*[IaLV{hID",
  secretKey: hex("7BB864B489AFA3671FBE69101F94B38972F24816DFB01B51656B3FEC8DFD0888"),
  secretZ85: "D:)Q[IlAW!ahhC2ac:9*A}h:p?([4%wOTJ%JR%cs",
} as const

export const LIBZMQ_SERVER_KEYS = {
  publicKey: hex("54FCBA24E93249969316FB617C872BB0C1D1FF14800427C594CBFACF1BC2D652"),
  publicZ85: "rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7",
  secretKey: hex("8E0BDD697628B91D8F245587EE95C5B04D48963F79259877B49CD9063AEAD3B7"),
  secretZ85: "JTKVSB%%)wK0E.X)V>+}o?pNmC{O&4W4b!Ni{Lh6",
} as const
