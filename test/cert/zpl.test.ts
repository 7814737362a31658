import { describe, it } from "node:test"
import assert from "node:assert/strict"
import fc from "fast-check"
import { CertificateError } from "../../src/cert/certificate-error.js"
import { formatZpl, formatZplValue, isZplName, parseZpl, type ZplNode, type ZplWritable } from "../../src/cert/zpl.js"

/** Strip line numbers so trees can be compared. */
function shape(nodes: ZplNode[]): ZplWritable[] {
  return nodes.map((node) => ({ name: node.name, ...(node.value === undefined ? {} : { value: node.value }), children: shape(node.children) }))
}

function parseError(text: string): CertificateError {
  try {
    parseZpl(text, "test.zpl")
  } catch (error) {
    assert.ok(error instanceof CertificateError, `expected CertificateError, got ${String(error)}`)
    assert.equal(error.file, "test.zpl")
    return error
  }
  assert.fail("expected parseZpl to throw")
}

describe("parseZpl", () => {
  it("reads the example of spec 4: hierarchy, comments, quoted and unquoted values", () => {
    const text = [
      "#   ZPL configuration file example",
      "#",
      "context",
      "    iothreads = 1",
      "    verbose = 1      #   Ask for a trace",
      "",
      "main",
      "    type = zmq_queue",
      "    frontend",
      "        option",
      "            hwm = 1000",
      '            subscribe = "#2"',
      "        bind = tcp://eth0:5555",
      "    backend",
      "        bind = tcp://eth0:5556",
      "",
    ].join("\n")
    const document = parseZpl(text, "example.zpl")
    assert.deepEqual(document.comments, ["   ZPL configuration file example", ""])
    assert.deepEqual(shape(document.nodes), [
      { name: "context", children: [{ name: "iothreads", value: "1", children: [] }, { name: "verbose", value: "1", children: [] }] },
      {
        name: "main",
        children: [
          { name: "type", value: "zmq_queue", children: [] },
          {
            name: "frontend",
            children: [
              { name: "option", children: [{ name: "hwm", value: "1000", children: [] }, { name: "subscribe", value: "#2", children: [] }] },
              { name: "bind", value: "tcp://eth0:5555", children: [] },
            ],
          },
          { name: "backend", children: [{ name: "bind", value: "tcp://eth0:5556", children: [] }] },
        ],
      },
    ])
    assert.equal(document.nodes[1]?.children[1]?.children[0]?.children[1]?.line, 12)
  })

  it("keeps '#', '=' and quotes of the other kind inside a quoted value (Z85 keys contain '#')", () => {
    const doc = parseZpl(`curve\n    public-key = "a#b=c'd"   # trailing comment\n    other = 'say "hi"'\n`, "f")
    assert.equal(doc.nodes[0]?.children[0]?.value, "a#b=c'd")
    assert.equal(doc.nodes[0]?.children[1]?.value, 'say "hi"')
  })

  it("reads unquoted values as pyzmq writes them: up to a '#' comment, trailing spaces dropped", () => {
    const doc = parseZpl('metadata\n    quote = say "hi"\n    hash = before#after\n    spaces = two  words   \n    empty = \n', "f")
    assert.deepEqual(
      doc.nodes[0]?.children.map((c) => [c.name, c.value]),
      [
        ["quote", 'say "hi"'],
        ["hash", "before"],
        ["spaces", "two  words"],
        ["empty", ""],
      ],
    )
  })

  it("treats a value that starts with a quote but has no closing quote as unquoted (spec 4)", () => {
    assert.equal(parseZpl('a = "open\n', "f").nodes[0]?.value, '"open')
    assert.equal(parseZpl("a = 'it\n", "f").nodes[0]?.value, "'it")
  })

  it("accepts LF, CRLF and CR line endings", () => {
    for (const eol of ["\n", "\r\n", "\r"]) {
      const doc = parseZpl(["# c", "curve", '    public-key = "k"', ""].join(eol), "f")
      assert.deepEqual(shape(doc.nodes), [{ name: "curve", children: [{ name: "public-key", value: "k", children: [] }] }], JSON.stringify(eol))
    }
  })

  it("accepts indented comment lines and a section line with a trailing comment", () => {
    const doc = parseZpl("curve   # the keys\n    # a comment\n    a = 1\n", "f")
    assert.deepEqual(shape(doc.nodes), [{ name: "curve", children: [{ name: "a", value: "1", children: [] }] }])
  })

  it("rejects a quoted value that contains its own quote, naming line and column (what CZMQ writes for '\"')", () => {
    const error = parseError('metadata\n    dquote = "say "hi""\n')
    assert.equal(error.line, 2)
    assert.match(error.message, /^test\.zpl:2: expected the value of "dquote" to end at its closing quote \(column 19\)/)
  })

  it("rejects text after a closing quote rather than guess what was meant", () => {
    assert.equal(parseError('a = "x" y\n').line, 1)
  })

  it("rejects indentation that is not a multiple of 4 spaces", () => {
    const error = parseError("curve\n  public-key = x\n")
    assert.equal(error.line, 2)
    assert.match(error.message, /multiple of 4 spaces, got 2 spaces/)
  })

  it("rejects a tab in the indentation", () => {
    const error = parseError("curve\n\tpublic-key = x\n")
    assert.equal(error.line, 2)
    assert.match(error.message, /expected indentation by spaces, got a tab at column 1/)
  })

  it("rejects a child indented more than one level below its parent", () => {
    const error = parseError("curve\n        public-key = x\n")
    assert.equal(error.line, 2)
    assert.match(error.message, /at most 4 spaces of indentation \(child of "curve"\), got 8 spaces/)
  })

  it("rejects indentation on the first property", () => {
    assert.equal(parseError("# c\n    a = 1\n").line, 2)
  })

  it("rejects a line that does not start with a name character", () => {
    const error = parseError("curve\n    !x = 1\n")
    assert.equal(error.line, 2)
    assert.match(error.message, /expected a property name .* at column 5/)
  })

  it("rejects junk after a name", () => {
    const error = parseError("curve\n    public-key : 1\n")
    assert.equal(error.line, 2)
    assert.match(error.message, /expected '=', a comment or the end of the line after property name "public-key"/)
  })

  it("does not quote a long property name, which may be a key that lost its 'secret-key =' (fuzz finding)", () => {
    const key = "rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7".replace(/[^A-Za-z0-9]/g, "z") // 40 name characters
    for (const text of [`curve\n    ${key} : 1\n`, `curve\n    ${key} = "a"b"\n`, `curve\n    ${key}/ = 1\n`]) {
      const error = parseError(text)
      assert.equal(error.line, 2)
      assert.ok(!error.message.includes(key.slice(0, 17)), `no 17 characters of the name in: ${error.message}`)
      assert.match(error.message, /\(4[01] characters, not shown: it may be key material\)/)
    }
  })

  it("rejects names starting or ending with '/' (as CZMQ)", () => {
    assert.equal(parseError("/a = 1\n").line, 1)
    assert.equal(parseError("a/ = 1\n").line, 1)
  })

  it("rejects control characters and a byte order mark", () => {
    assert.match(parseError("a = x\u0001y\n").message, /control character 0x01 at column 6/)
    assert.equal(parseError("\ufeffa = 1\n").line, 1)
  })

  it("never puts the value text into an error message", () => {
    const secret = "Ys3#SECRETSECRETSECRETSECRETSECRETSECRE"
    const error = parseError(`curve\n    secret-key = "${secret}" "${secret}"\n`)
    assert.equal(error.message.includes(secret), false)
    assert.equal(error.message.includes("SECRET"), false)
  })
})

describe("formatZplValue", () => {
  it('double-quotes like CZMQ, and single-quotes a value that contains "', () => {
    assert.equal(formatZplValue("Alice Example"), '"Alice Example"')
    assert.equal(formatZplValue(""), '""')
    assert.equal(formatZplValue('say "hi"'), `'say "hi"'`)
  })

  it("refuses values that ZPL cannot carry: both quote kinds, control characters, line breaks", () => {
    assert.throws(() => formatZplValue(`it's "x"`), { name: "RangeError", message: /both ' and "/ })
    assert.throws(() => formatZplValue("a\nb"), { name: "RangeError", message: /control characters or line breaks, got character 0x0a at index 1/ })
    assert.throws(() => formatZplValue("a\tb"), RangeError)
  })
})

describe("formatZpl", () => {
  it("writes comments, one empty line, and children indented by 4 spaces, every line ending in LF", () => {
    const text = formatZpl(
      [
        { name: "metadata", children: [{ name: "name", value: "Alice" }] },
        { name: "curve", children: [{ name: "public-key", value: "k" }] },
      ],
      ["   banner"],
    )
    assert.equal(text, '#   banner\n\nmetadata\n    name = "Alice"\ncurve\n    public-key = "k"\n')
  })

  it("refuses invalid names", () => {
    assert.throws(() => formatZpl([{ name: "bad name" }]), RangeError)
    assert.equal(isZplName("a$-_@.&+/b"), true)
    assert.equal(isZplName(""), false)
  })

  it("round-trips any tree of writable names and values (property)", () => {
    const nameArb = fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9$\-_@.&+/]{0,11}$/).filter(isZplName)
    // Printable text (with '#', '=', spaces and one kind of quote), and no leading/trailing
    // whitespace games: quoted values keep them, so include them too.
    const valueArb = fc.oneof(
      fc.stringMatching(/^[ -!#-~\u00e9\u4e2d]{0,20}$/), // no '"'
      fc.stringMatching(/^[ -&(-~\u00e9]{0,20}$/), // no "'"
    )
    const leaf = fc.record({ name: nameArb, value: valueArb })
    const tree = fc.letrec<{ node: ZplWritable }>((tie) => ({
      node: fc.oneof(
        { depthSize: "small", withCrossShrink: true },
        leaf,
        fc.record({ name: nameArb, children: fc.array(tie("node"), { maxLength: 3 }) }),
        fc.record({ name: nameArb, value: valueArb, children: fc.array(tie("node"), { maxLength: 3 }) }),
      ),
    })).node
    const normalise = (nodes: readonly ZplWritable[]): ZplWritable[] =>
      nodes.map((n) => ({ name: n.name, ...(n.value === undefined ? {} : { value: n.value }), children: normalise(n.children ?? []) }))
    fc.assert(
      fc.property(fc.array(tree, { maxLength: 4 }), fc.array(fc.stringMatching(/^([ -~]{0,29}[!-~])?$/), { maxLength: 3 }), (nodes, comments) => {
        const text = formatZpl(nodes, comments)
        const parsed = parseZpl(text, "prop")
        assert.deepEqual(shape(parsed.nodes), normalise(nodes))
        assert.deepEqual(parsed.comments, comments)
      }),
      { numRuns: 200 },
    )
  })
})

describe("parseZpl work is linear in the input (issue 7, defect 7)", () => {
  /** Parse (errors allowed: some inputs are invalid) and return the characters examined. */
  function work(text: string): number {
    const stats = { examined: 0 }
    try {
      parseZpl(text, "pathological.zpl", stats)
    } catch (error) {
      assert.ok(error instanceof CertificateError, `expected CertificateError, got ${String(error)}`)
    }
    return stats.examined
  }

  const spaces = " ".repeat(40_000)
  const cases: [string, string][] = [
    ["a line of 40 000 spaces then a character", `${spaces}x\n`],
    ["a value with 40 000 inner spaces", `a = x${spaces}y\n`],
    ["a value with 40 000 spaces before a comment", `a = x${spaces}# c\n`],
    ["40 000 tabs and spaces at a line's end", `a = x${" \t".repeat(20_000)}\n`],
    ["a quoted value with 40 000 spaces after it", `a = "x"${spaces}y\n`],
    ["a line of 40 000 spaces only", `${spaces}\n`],
  ]
  for (const [what, text] of cases) {
    it(`${what}: at most 4 looks per character`, () => {
      const examined = work(text)
      assert.ok(examined >= text.length - 1, `every character is looked at (examined ${examined})`)
      assert.ok(examined <= 4 * text.length, `examined ${examined} for ${text.length} characters`)
    })
  }

  it("a 64 KiB file of blank-padded lines: at most 4 looks per character", () => {
    const lines: string[] = []
    let size = 0
    for (let i = 0; size < 64 * 1024; i++) {
      const line = i % 2 === 0 ? `k${i} = v${" ".repeat(1000)}w   ` : `${" ".repeat(2000)}\t`
      lines.push(line)
      size += line.length + 1
    }
    const text = lines.join("\n")
    const examined = work(text)
    assert.ok(examined >= text.length - lines.length, `examined ${examined}`)
    assert.ok(examined <= 4 * text.length, `examined ${examined} for ${text.length} characters`)
    // And the values are still read right: inner blanks kept, trailing blanks dropped.
    const doc = parseZpl(text, "pathological.zpl")
    assert.equal(doc.nodes[0]?.value, `v${" ".repeat(1000)}w`)
  })
})
