// swift-tools-version:6.0
// Vigil: high availability for KVM virtual machines on libvirt.
import PackageDescription

let package = Package(
    name: "Vigil",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "Libvirt", targets: ["Libvirt"]),
        .library(name: "DomainXML", targets: ["DomainXML"]),
        .library(name: "HACore", targets: ["HACore"]),
        .library(name: "HACoordination", targets: ["HACoordination"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-crypto", from: "4.5.2"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache", from: "2.1.1"),
    ],
    targets: [
        // C interop: module maps over the system's libvirt and libxml2 (Debian: libvirt-dev, libxml2-dev).
        .systemLibrary(name: "CLibvirt", path: "Modules/CLibvirt", pkgConfig: "libvirt",
                       providers: [.apt(["libvirt-dev"])]),
        .systemLibrary(name: "CLibXML2", path: "Modules/CLibXML2", pkgConfig: "libxml-2.0",
                       providers: [.apt(["libxml2-dev"])]),

        // Swift wrapper over the libvirt C API: owned handles, typed errors, events as AsyncStream.
        .target(name: "Libvirt", dependencies: ["CLibvirt"]),
        // Blocking work (libvirt calls, child processes) on threads of its own, off the cooperative pool.
        .target(name: "Blocking"),
        // Libvirt domain XML as values, on libxml2; no libvirt dependency.
        .target(name: "DomainXML", dependencies: ["CLibXML2"]),
        // The pure HA brain: model, policies, placement, coordinator instances. No IO, no clock.
        .target(name: "HACore"),
        // Deterministic cluster simulator over HACore (test support and benchmarks).
        .target(name: "HASimulator", dependencies: ["HACore"]),
        // The cluster schema: every store key, the stored records (node, agent, group, inbox) and their
        // one JSON coding. Pure values, no store.
        .target(name: "ClusterSchema", dependencies: ["HACore", "DomainXML"]),
        // Cluster state: store protocol, etcd (v3 JSON gateway) and embedded SQLite stores, membership.
        .target(name: "HACoordination", dependencies: [
            "HACore", "ClusterSchema", "Blocking",
            .product(name: "Logging", package: "swift-log"),
            .product(name: "AsyncHTTPClient", package: "async-http-client"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOFoundationCompat", package: "swift-nio"),
            .product(name: "NIOSSL", package: "swift-nio-ssl"),
            .product(name: "GRDB", package: "GRDB.swift"),
        ]),
        // Child process of the embedded store's kill -9 test: writes in a loop until killed.
        .executableTarget(name: "vigil-store-crash-helper", dependencies: ["HACoordination"], path: "Tests/StoreCrashHelper"),
        // Child process of the storage-fault tests: an embedded store driven over stdin, in a private mount namespace.
        .executableTarget(name: "vigil-store-fault-helper", dependencies: ["HACoordination"], path: "Tests/StoreFaultHelper"),
        // The agent's API types, shared by vigild and the vigil CLI.
        .target(name: "AgentAPI"),
        // The host agent's shells: resource layer (storage, VM configuration, VM), health, coordination.
        .target(name: "HAAgent", dependencies: [
            "Libvirt", "Blocking", "DomainXML", "HACore", "ClusterSchema", "HACoordination", "AgentAPI",
            .product(name: "Logging", package: "swift-log"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOSSL", package: "swift-nio-ssl"),
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "HummingbirdCore", package: "hummingbird"),
            .product(name: "HummingbirdTLS", package: "hummingbird"),
            .product(name: "Mustache", package: "swift-mustache"),
            .product(name: "Yams", package: "Yams"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "CoreMetrics", package: "swift-metrics"),
            .product(name: "Prometheus", package: "swift-prometheus"),
        ]),
        // vigild: the agent on every host.
        .executableTarget(name: "vigild", dependencies: [
            "HAAgent",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            .product(name: "Metrics", package: "swift-metrics"),
        ]),
        // vigil: the operator's CLI, talking to the local agent (or to another host's over TLS).
        .executableTarget(name: "vigil", dependencies: [
            "AgentAPI",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "AsyncHTTPClient", package: "async-http-client"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
            .product(name: "NIOSSL", package: "swift-nio-ssl"),
        ]),
        // Test support for the multi-host lab (deploy/lab): bring-up, faults, guest heartbeats.
        .target(name: "LabSupport", dependencies: ["Libvirt", "Blocking"]),

        .testTarget(name: "LibvirtTests", dependencies: ["Libvirt"]),
        // Child process of the hostile-XML tests: parses one file under CPU and memory limits.
        .executableTarget(name: "vigil-xml-parse-helper", dependencies: ["DomainXML"], path: "Tests/DomainXMLParseHelper"),
        .testTarget(name: "DomainXMLTests", dependencies: ["DomainXML", "vigil-xml-parse-helper"], resources: [.copy("Fixtures")]),
        .testTarget(name: "HACoreTests", dependencies: ["HACore", "HASimulator"], resources: [.copy("Scenarios")]),
        // A real etcd cluster on loopback for the tests that need one (started and stopped by PID).
        .target(name: "EtcdTestSupport", dependencies: ["HACoordination"], path: "Tests/EtcdTestSupport"),
        .testTarget(name: "HACoordinationTests", dependencies: [
            "HACoordination", "ClusterSchema", "Blocking", "vigil-store-crash-helper", "vigil-store-fault-helper", "EtcdTestSupport", .product(name: "Logging", package: "swift-log"),
            .product(name: "GRDB", package: "GRDB.swift"),
        ]),
        .testTarget(name: "HAAgentTests", dependencies: [
            "HAAgent", "HACore", "ClusterSchema", "HACoordination", "Libvirt", "AgentAPI", "LabSupport", "EtcdTestSupport", "BenchSupport",
            .product(name: "AsyncHTTPClient", package: "async-http-client"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "Crypto", package: "swift-crypto"),
        ]),
        .testTarget(name: "AgentLabTests", dependencies: [
            "LabSupport", "Libvirt", "AgentAPI", "Blocking", "HACoordination", "BenchSupport",
            .product(name: "AsyncHTTPClient", package: "async-http-client"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
        ]),
        .testTarget(name: "LabTests", dependencies: ["Libvirt", "Blocking", "LabSupport", "HAAgent"]),
        .testTarget(name: "BlockingTests", dependencies: ["Blocking"]),

        // Benchmarks: run in release by `make bench`, never as timed assertions in tests.
        // What every benchmark records (machine, commit, bench/results/*.json) and reads of a process's
        // footprint from /proc. Foundation only.
        .target(name: "BenchSupport", path: "bench/BenchSupport"),
        .testTarget(name: "BenchSupportTests", dependencies: ["BenchSupport"]),
        .executableTarget(name: "HACoreBench", dependencies: ["HACore", "HASimulator", "BenchSupport"], path: "bench/HACoreBench"),
    ]
)
