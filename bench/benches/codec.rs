//! `cargo xtask bench`: each operation by this project, tpm2-protocol 1.2.3 and libtss2-mu, and
//! a plain copy of the same bytes, after checking that all of them agree on the bytes.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use tpm2_bench::{Op, frames, ours, protocol, tss2};

/// An encoder: the command into the buffer, its length.
type Encoder<'a> = dyn Fn(&mut [u8]) -> usize + 'a;

/// Every encoder writes our bytes; every decoder accepts our frames.
fn check(p: &protocol::Prepared, t: &mut tss2::Prepared) {
    let mut buf = [0u8; 4096];
    let encoders: [(Op, &Encoder, &Encoder, &Encoder); 3] = [
        (
            Op::EkEncode,
            &ours::encode_ek,
            &|b| protocol::encode_ek(p, b),
            &|b| tss2::encode_ek(t, b),
        ),
        (
            Op::DaEncode,
            &ours::encode_da,
            &|b| protocol::encode_da(p, b),
            &|b| tss2::encode_da(t, b),
        ),
        (
            Op::NvEncode,
            &ours::encode_nv,
            &|b| protocol::encode_nv(p, b),
            &tss2::encode_nv,
        ),
    ];
    for (op, a, b, c) in encoders {
        let want = op.bytes();
        for (who, f) in [("tpm2-cmds", a), ("tpm2-protocol", b), ("tss2-mu", c)] {
            let n = f(&mut buf);
            assert_eq!(&buf[..n], want.as_slice(), "{who} {}", op.name());
        }
    }
    let ek = frames::ek_response();
    assert_eq!(ek.len(), 538);
    assert!(ours::decode_ek(ek).is_ok() && protocol::decode(protocol::CREATE_PRIMARY, ek));
    assert!(tss2::decode_ek(t, ek), "tss2-mu EK decode");
    let da = frames::da_response();
    assert!(ours::decode_da(&da).is_ok() && protocol::decode(protocol::DA_RESET, &da));
    assert!(tss2::decode_da(t, &da), "tss2-mu DA decode");
    let nv = frames::nv_response();
    assert!(ours::decode_nv(&nv).is_ok() && protocol::decode(protocol::NV_READ_PUBLIC, &nv));
    assert!(tss2::decode_nv(t, &nv), "tss2-mu NV decode");
}

fn copy(c: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>, bytes: &[u8]) {
    let mut buf = [0u8; 4096];
    c.bench_function("copy", |b| {
        b.iter(|| {
            let src = black_box(bytes);
            buf[..src.len()].copy_from_slice(src);
            black_box(&buf);
        });
    });
}

fn codec(c: &mut Criterion) {
    let p = protocol::prepare();
    let mut t = tss2::prepare();
    check(&p, &mut t);
    let mut buf = [0u8; 4096];
    for op in Op::ALL {
        let bytes = op.bytes();
        let mut g = c.benchmark_group(op.name());
        copy(&mut g, &bytes);
        match op {
            Op::EkEncode => {
                g.bench_function("tpm2-cmds", |b| {
                    b.iter(|| ours::encode_ek(black_box(&mut buf)))
                });
                g.bench_function("tpm2-protocol", |b| {
                    b.iter(|| protocol::encode_ek(&p, black_box(&mut buf)))
                });
                g.bench_function("tss2-mu", |b| {
                    b.iter(|| tss2::encode_ek(&t, black_box(&mut buf)))
                });
            }
            Op::DaEncode => {
                g.bench_function("tpm2-cmds", |b| {
                    b.iter(|| ours::encode_da(black_box(&mut buf)))
                });
                g.bench_function("tpm2-protocol", |b| {
                    b.iter(|| protocol::encode_da(&p, black_box(&mut buf)))
                });
                g.bench_function("tss2-mu", |b| {
                    b.iter(|| tss2::encode_da(&t, black_box(&mut buf)))
                });
            }
            Op::NvEncode => {
                g.bench_function("tpm2-cmds", |b| {
                    b.iter(|| ours::encode_nv(black_box(&mut buf)))
                });
                g.bench_function("tpm2-protocol", |b| {
                    b.iter(|| protocol::encode_nv(&p, black_box(&mut buf)))
                });
                g.bench_function("tss2-mu", |b| {
                    b.iter(|| tss2::encode_nv(black_box(&mut buf)))
                });
            }
            Op::EkDecode => {
                g.bench_function("tpm2-cmds", |b| {
                    b.iter(|| ours::decode_ek(black_box(&bytes)))
                });
                g.bench_function("tpm2-protocol", |b| {
                    b.iter(|| protocol::decode(protocol::CREATE_PRIMARY, black_box(&bytes)))
                });
                g.bench_function("tss2-mu", |b| {
                    b.iter(|| tss2::decode_ek(&mut t, black_box(&bytes)))
                });
            }
            Op::DaDecode => {
                g.bench_function("tpm2-cmds", |b| {
                    b.iter(|| ours::decode_da(black_box(&bytes)))
                });
                g.bench_function("tpm2-protocol", |b| {
                    b.iter(|| protocol::decode(protocol::DA_RESET, black_box(&bytes)))
                });
                g.bench_function("tss2-mu", |b| {
                    b.iter(|| tss2::decode_da(&mut t, black_box(&bytes)))
                });
            }
            Op::NvDecode => {
                g.bench_function("tpm2-cmds", |b| {
                    b.iter(|| ours::decode_nv(black_box(&bytes)))
                });
                g.bench_function("tpm2-protocol", |b| {
                    b.iter(|| protocol::decode(protocol::NV_READ_PUBLIC, black_box(&bytes)))
                });
                g.bench_function("tss2-mu", |b| {
                    b.iter(|| tss2::decode_nv(&mut t, black_box(&bytes)))
                });
            }
        }
        g.finish();
    }
}

criterion_group!(benches, codec);
criterion_main!(benches);
