import Foundation

/// The `scrm-notify` command line: each command's usage, parsing, and exit code (0 ok, 1 a finding,
/// 2 usage or config error).
public enum CommandLineTool {
    /// The version printed by `--version`.
    public static let version = "0.1.0"

    static let usage = """
        scrm-notify — notifications for Dustess SCRM appointments

        usage: scrm-notify COMMAND [OPTIONS]

        commands:
          serve     [--config FILE] [--log-format logfmt|json] [--log-level LEVEL]   run the daemon
          check     [--config FILE]                                  validate the config and every rule file
          simulate  EVENT.json [--now TIME] [--config FILE] [--json] show what the rules would do with an event
          test      FILE…                                            run rule tests
          jobs      [--order NUM] [--state STATE] [--config FILE] [--json]   list notifications in the store
          cancel    --order NUM [--config FILE]                      cancel pending notifications of an appointment
          retry     --failed [--config FILE]                         requeue failed notifications
          encrypt   --token T --aes-key K [--receive-id R] < plain.json   print the encrypted envelope

        Run `scrm-notify COMMAND --help` for a command's details. `--version` prints the version.
        """

    /// Runs the command line `arguments` (the program name first) and returns the exit code.
    public static func run(_ arguments: [String]) -> Int32 {
        let words = Array(arguments.dropFirst())
        guard let command = words.first else {
            printError(usage)
            return 2
        }
        let rest = words.dropFirst()
        switch command {
        case "--version", "version":
            print("scrm-notify \(version)")
            return 0
        case "--help", "-h", "help":
            print(usage)
            return 0
        case "serve": return ServeCommand.run(rest)
        case "check": return CheckCommand.run(rest)
        case "simulate": return SimulateCommand.run(rest)
        case "test": return TestCommand.run(rest)
        case "jobs", "cancel", "retry": return JobsCommand.run(command, rest)
        case "encrypt": return EncryptCommand.run(rest)
        default:
            printError("scrm-notify: unknown command \"\(command)\"\n\n\(usage)")
            return 2
        }
    }

    /// Parses a command's arguments, printing its help (exit 0) or a usage error (exit 2) when that is the answer.
    static func parse(
        _ words: ArraySlice<String>, help: String, valued: Set<String> = [], flags: Set<String> = []
    ) -> Result<Arguments, ExitCode> {
        do {
            let arguments = try Arguments(words, valued: valued, flags: flags.union(["help"]))
            if arguments.flags.contains("help") {
                print(help)
                return .failure(ExitCode(code: 0))
            }
            return .success(arguments)
        } catch {
            printError("scrm-notify: \(error)\n\n\(help)")
            return .failure(ExitCode(code: 2))
        }
    }
}

/// Writes a line to standard error.
func printError(_ text: String) {
    FileHandle.standardError.write(Data((text + "\n").utf8))
}

/// The exit code a command ends with before doing its work (after printing help or a usage error).
struct ExitCode: Error {
    let code: Int32
}
