//! Compiles the link's protobuf schema with protox (pure Rust, no system `protoc`).
fn main() -> Result<(), Box<dyn std::error::Error>> {
    let fds = protox::compile(["vigil/link/v1/link.proto"], ["proto"])?;
    tonic_prost_build::configure()
        .build_client(true)
        .build_server(true)
        .compile_fds(fds)?;
    println!("cargo:rerun-if-changed=proto");
    Ok(())
}
