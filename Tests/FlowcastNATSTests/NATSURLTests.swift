import FlowcastNATS
import FlowcastTestSupport
import Foundation
import Testing

/// What taps, the planner and `flowcast policies` say of the NATS URL they were given.
@Suite("NATS URLs in messages", .serialized, .enabled(if: NATSServer.isAvailable, "needs nats-server (Debian: nats-server)"))
struct NATSURLTests {
    @Test("a URL's password or token is replaced by *** (every URL of a list); the rest is kept")
    func redaction() {
        let cases = [
            ("nats://bob:secret@127.0.0.1:4222", "nats://bob:***@127.0.0.1:4222"),
            ("nats://TOKEN@hub:4222", "nats://***@hub:4222"),
            ("nats://bob:se/cr@t@hub", "nats://bob:***@hub"),
            ("nats://127.0.0.1:4222", "nats://127.0.0.1:4222"),
            ("nats://a:1@h1:4222,nats://h2:4222,nats://t@h3", "nats://a:***@h1:4222,nats://h2:4222,nats://***@h3"),
            ("bob:secret@hub:4222", "bob:***@hub:4222"),
        ]
        for (given, shown) in cases { #expect(NATSConnectionOptions.redacted(given) == shown, "\(given)") }
    }

    /// Finding 8 of the second scale-out audit: `published … to nats://bob:secret@…`, `reading
    /// flowcast.v1.policy at nats://bob:secret@…` and `cannot use NATS at nats://bob:wrong@…`.
    @Test("a password in the URL is in no line of a tap, the planner or flowcast policies; nor is a token")
    func passwordsAreNotLogged() throws {
        let server = try NATSServer(configuration: "authorization { user: bob, password: \"s3cret-pw\" }\n")
        let good = "nats://bob:s3cret-pw@127.0.0.1:\(server.port)", shown = "nats://bob:***@127.0.0.1:\(server.port)"
        let connection = try NATSConnection(NATSConnectionOptions(url: good, name: "url-test"))
        #expect(connection.url == shown)

        let tap = try Fixtures.runFlowcast(["replay", Scenario.demo, "--topology", Scenario.topology,
                                            "--out", try Scenario.temporaryFolder("tap").path, "--publish", good, "--site", "a"])
        #expect(tap.status == 0, "\(tap.stderr)")
        #expect(tap.stderr.contains("to \(shown) as site a"), "\(tap.stderr)")
        #expect(!tap.stderr.contains("s3cret"), "\(tap.stderr)")

        let policies = try Fixtures.runFlowcast(["policies", "--nats", good, "--out", try Scenario.temporaryFolder("policies").path, "--once"])
        #expect(policies.status == 0, "\(policies.stderr)")
        #expect(policies.stderr.contains("reading flowcast.v1.policy at \(shown) with consumer"), "\(policies.stderr)")
        #expect(!policies.stderr.contains("s3cret"), "\(policies.stderr)")

        let wrong = "nats://bob:wr0ng-pw@127.0.0.1:\(server.port)"
        let planner = try Fixtures.runFlowcast(["planner", "--nats", wrong, "--topology", Scenario.topology,
                                                "--out", try Scenario.temporaryFolder("planner").path, "--sites", "a"])
        #expect(planner.status == 2)
        #expect(planner.stderr.hasPrefix("flowcast planner: cannot use NATS at \(shown): "), "\(planner.stderr)")
        #expect(!planner.stderr.contains("wr0ng"), "\(planner.stderr)")
        let refusedTap = try Fixtures.runFlowcast(["replay", Scenario.demo, "--topology", Scenario.topology,
                                                   "--out", try Scenario.temporaryFolder("tap").path, "--publish", wrong, "--site", "a"])
        #expect(refusedTap.status == 2)
        // The URL once (it read "cannot publish to U: connect to U: …").
        #expect(refusedTap.stderr.hasPrefix("flowcast replay: cannot publish to \(shown): "), "\(refusedTap.stderr)")
        #expect(!refusedTap.stderr.contains("connect to"), "\(refusedTap.stderr)")
        #expect(!refusedTap.stderr.contains("wr0ng"), "\(refusedTap.stderr)")

        let tokenServer = try NATSServer(configuration: "authorization { token: \"t0ken-secret\" }\n")
        let token = try Fixtures.runFlowcast(["policies", "--nats", "nats://wr0ng-t0ken@127.0.0.1:\(tokenServer.port)",
                                              "--out", try Scenario.temporaryFolder("policies").path, "--once"])
        #expect(token.status == 2)
        #expect(token.stderr.hasPrefix("flowcast policies: cannot use NATS at nats://***@127.0.0.1:\(tokenServer.port): "), "\(token.stderr)")
        #expect(!token.stderr.contains("t0ken"), "\(token.stderr)")
    }
}

/// Finding 7 of the second scale-out audit: `--publish tls://…` connected in plain text, and
/// `http://…` and `nats://HOST:PORT/foo` were taken as nats://HOST:PORT.
@Suite("NATS URLs that are not nats://HOST:PORT")
struct NATSURLValidationTests {
    static let out = Scratch.root.appendingPathComponent("flowcast-url-validation").path

    static func commands(_ url: String) -> [(option: String, arguments: [String])] {
        [("--publish", ["replay", Scenario.demo, "--topology", Scenario.topology, "--out", out, "--publish", url, "--quiet"]),
         ("--nats", ["planner", "--nats", url, "--topology", Scenario.topology, "--out", out, "--sites", "a"]),
         ("--nats", ["policies", "--nats", url, "--out", out, "--once"])]
    }

    @Test("--publish and --nats refuse other schemes, paths and bad ports as usage errors, the secret redacted",
          arguments: [
              ("tls://127.0.0.1:4222", "tls://127.0.0.1:4222: tls:// is not supported (the connection would be plain text); for TLS give nats:// with --nats-tls-ca"),
              ("http://127.0.0.1:4222", "http://127.0.0.1:4222: the scheme http:// is not NATS's"),
              ("127.0.0.1:4222", "127.0.0.1:4222: no nats:// scheme"),
              ("nats://127.0.0.1:4222/foo", "nats://127.0.0.1:4222/foo: a path, query or fragment ('/foo') means nothing to NATS"),
              ("nats://bob:s3cret@127.0.0.1:4222?x=1", "nats://bob:***@127.0.0.1:4222?x=1: a path, query or fragment ('?x=1') means nothing to NATS"),
              ("nats://127.0.0.1:99999", "nats://127.0.0.1:99999: the port '99999' is not 1 to 65535"),
              ("nats://:4222", "nats://:4222: no host"),
              ("nats://127.0.0.1:4222,tls://10.0.0.2:4222", "tls://10.0.0.2:4222: tls:// is not supported"),
          ])
    func refused(url: String, message: String) throws {
        for (option, arguments) in Self.commands(url) {
            let run = try Fixtures.runFlowcast(arguments)
            #expect(run.status == 64, "\(arguments[0]): \(run.stderr)")
            #expect(run.stderr.contains("\(option) \(message)"), "\(arguments[0]): \(run.stderr)")
            #expect(!run.stderr.contains("s3cret"), "\(run.stderr)")
        }
    }

    /// Taken: the run gets as far as connecting (nothing listens on the port: status 2, not 64).
    @Test("nats://HOST:PORT, with userinfo, [IPv6], a trailing slash, upper case or several: taken")
    func accepted() throws {
        let port = try NATSServer.freePort()
        for url in ["nats://127.0.0.1:\(port)", "nats://bob:se/cret@127.0.0.1:\(port)", "nats://TOKEN@127.0.0.1:\(port)",
                    "nats://[::1]:\(port)", "nats://127.0.0.1:\(port)/", "NATS://127.0.0.1:\(port)",
                    "nats://127.0.0.1:\(port),nats://127.0.0.1:\(port)"] {
            let run = try Fixtures.runFlowcast(Self.commands(url)[2].arguments)
            #expect(run.status == 2, "\(url): \(run.stderr)")
        }
    }
}
