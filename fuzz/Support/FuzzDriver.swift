#if FUZZING
    import CFuzzer
    import Foundation

    /// Hands control to libFuzzer, which parses its own flags from the command line and calls `callback` for
    /// every input until time runs out or a crash.
    public enum FuzzDriver {
        /// Runs libFuzzer with this process's arguments; exits with its status.
        public static func run(_ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt) -> Never {
            var argc = CommandLine.argc
            var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
            exit(LLVMFuzzerRunDriver(&argc, &argv, callback))
        }
    }
#endif
