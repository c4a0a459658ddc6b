// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "scrm-notify",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "scrm-notify", targets: ["scrm-notify"])
    ],
    targets: [
        // System libraries, each behind a module map and a shim header.
        .systemLibrary(name: "CCurl", pkgConfig: "libcurl", providers: [.apt(["libcurl4-openssl-dev"])]),
        .systemLibrary(name: "CSQLite", pkgConfig: "sqlite3", providers: [.apt(["libsqlite3-dev"])]),
        .systemLibrary(name: "CMicroHTTPD", pkgConfig: "libmicrohttpd", providers: [.apt(["libmicrohttpd-dev"])]),
        .systemLibrary(name: "CYAML", pkgConfig: "yaml-0.1", providers: [.apt(["libyaml-dev"])]),
        .systemLibrary(name: "COpenSSL", pkgConfig: "openssl", providers: [.apt(["libssl-dev"])]),

        // Domain modules, lowest first. Lower modules never import higher ones.
        .target(name: "JSON"),
        .target(name: "Crypto", dependencies: ["COpenSSL"]),
        .target(name: "YAML", dependencies: ["CYAML"]),
        .target(name: "Telemetry"),
        .target(name: "Events", dependencies: ["JSON", "Crypto"]),
        .target(name: "Rules", dependencies: ["JSON", "YAML", "Events"]),
        .target(name: "Storage", dependencies: ["CSQLite", "Crypto"]),
        .target(name: "Channels", dependencies: ["CCurl", "JSON", "Crypto", "Telemetry"]),
        .target(
            name: "Daemon",
            dependencies: [
                "CMicroHTTPD", "JSON", "Crypto", "YAML", "Telemetry", "Events", "Rules", "Storage", "Channels",
            ]
        ),
        // jemalloc serves the daemon's allocations: its per-thread caches cost the HTTP, commit and delivery
        // threads less than glibc's arenas (bench/README.md, "The allocator").
        .executableTarget(
            name: "scrm-notify", dependencies: ["Daemon"],
            linkerSettings: [.linkedLibrary("jemalloc", .when(platforms: [.linux]))]
        ),
        .executableTarget(name: "bench-rules", dependencies: ["Rules", "Events", "JSON"], path: "bench/rules"),

        // Fakes of outside servers (chat robot, SMS gateway, ...) on loopback sockets, for the tests.
        .target(name: "TestKit", dependencies: ["CMicroHTTPD", "JSON"]),

        // Benchmarks: built on demand with `swift build -c release --product bench-…`, never run by the tests.
        .executableTarget(name: "bench-decode", dependencies: ["Events", "JSON", "Crypto"], path: "bench/decode"),
        .executableTarget(name: "bench-store", dependencies: ["Storage"], path: "bench/store"),
        .executableTarget(name: "bench-log", dependencies: ["Telemetry"], path: "bench/log"),
        .executableTarget(
            name: "bench-channels", dependencies: ["Channels", "TestKit", "JSON"], path: "bench/channels"),

        // Fuzz targets: fuzz/run.sh builds them with libFuzzer and ASan (-DFUZZING); a plain build replays files.
        .systemLibrary(name: "CFuzzer", path: "fuzz/CFuzzer"),
        .target(name: "FuzzSupport", dependencies: ["CFuzzer", "Events", "JSON", "Rules"], path: "fuzz/Support"),
        .executableTarget(name: "fuzz-json", dependencies: ["FuzzSupport", "JSON"], path: "fuzz/json"),
        .executableTarget(
            name: "fuzz-envelope", dependencies: ["FuzzSupport", "Events", "JSON"], path: "fuzz/envelope"),
        .executableTarget(
            name: "fuzz-callback", dependencies: ["FuzzSupport", "Events", "Crypto"], path: "fuzz/callback"),
        .executableTarget(name: "fuzz-rules", dependencies: ["FuzzSupport"], path: "fuzz/rules"),
        .executableTarget(name: "fuzz-expression", dependencies: ["FuzzSupport"], path: "fuzz/expression"),
        .executableTarget(name: "fuzz-template", dependencies: ["FuzzSupport"], path: "fuzz/template"),

        .testTarget(name: "JSONTests", dependencies: ["JSON"]),
        .testTarget(name: "CryptoTests", dependencies: ["Crypto"]),
        .testTarget(name: "YAMLTests", dependencies: ["YAML"]),
        .testTarget(name: "TelemetryTests", dependencies: ["Telemetry"]),
        .testTarget(name: "EventsTests", dependencies: ["Events", "JSON"]),
        .testTarget(name: "RulesTests", dependencies: ["Rules", "Events", "JSON", "YAML"]),
        .testTarget(name: "StorageTests", dependencies: ["Storage", "TestKit"]),
        .testTarget(name: "ChannelsTests", dependencies: ["Channels", "TestKit", "JSON", "Crypto"]),
        .testTarget(
            name: "DaemonTests",
            dependencies: ["Daemon", "TestKit", "Events", "Storage", "JSON", "Crypto"]
        ),
    ]
)
