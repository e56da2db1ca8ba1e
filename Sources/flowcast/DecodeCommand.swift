import ArgumentParser

struct DecodeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "decode", abstract: "Decode every packet of a capture.")
    @Argument(help: "A pcap or pcapng file.") var file: String
    func run() throws { throw ExitCode.failure }
}
