//! TLS client configuration (rustls): CA bundle, client certificate, SNI, `--insecure`.

use std::path::PathBuf;
use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{CryptoProvider, ring};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use rustls::{ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme};

use crate::error::TribError;

/// TLS settings from the command line.
#[derive(Clone, Debug, Default)]
pub struct TlsOptions {
    pub cacert: Option<PathBuf>,
    pub cert: Option<PathBuf>,
    pub key: Option<PathBuf>,
    /// Server name to send and verify instead of the node's host.
    pub sni: Option<String>,
    /// Accept any server certificate.
    pub insecure: bool,
}

fn bad(msg: String) -> TribError {
    TribError::BadInput(msg)
}

/// Builds the rustls client configuration once, for every node.
pub fn client_config(opts: &TlsOptions) -> Result<Arc<ClientConfig>, TribError> {
    let provider = Arc::new(ring::default_provider());
    let builder = ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| bad(format!("TLS: {e}")))?;
    let builder = if opts.insecure {
        builder
            .dangerous()
            .with_custom_certificate_verifier(accept_any_cert(provider))
    } else {
        let mut roots = RootCertStore::empty();
        match &opts.cacert {
            Some(path) => {
                let certs = CertificateDer::pem_file_iter(path)
                    .map_err(|e| bad(format!("--cacert {}: {e}", path.display())))?;
                for cert in certs {
                    let cert =
                        cert.map_err(|e| bad(format!("--cacert {}: {e}", path.display())))?;
                    roots
                        .add(cert)
                        .map_err(|e| bad(format!("--cacert {}: {e}", path.display())))?;
                }
            }
            None => {
                let native = rustls_native_certs::load_native_certs();
                for cert in native.certs {
                    let _ = roots.add(cert);
                }
            }
        }
        builder.with_root_certificates(roots)
    };
    let config = match (&opts.cert, &opts.key) {
        (Some(cert), Some(key)) => {
            let chain = CertificateDer::pem_file_iter(cert)
                .map_err(|e| bad(format!("--cert {}: {e}", cert.display())))?
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| bad(format!("--cert {}: {e}", cert.display())))?;
            let key_der = PrivateKeyDer::from_pem_file(key)
                .map_err(|e| bad(format!("--key {}: {e}", key.display())))?;
            builder
                .with_client_auth_cert(chain, key_der)
                .map_err(|e| bad(format!("--cert/--key: {e}")))?
        }
        (None, None) => builder.with_no_client_auth(),
        _ => return Err(bad("--cert and --key go together".into())),
    };
    Ok(Arc::new(config))
}

/// The server name for a node: `--sni`, else its DNS name, else its IP.
pub fn server_name(
    sni: Option<&str>,
    host_name: Option<&str>,
    ip: std::net::IpAddr,
) -> Result<ServerName<'static>, TribError> {
    match sni.or(host_name) {
        Some(name) => ServerName::try_from(name.to_string())
            .map_err(|e| bad(format!("TLS server name {name}: {e}"))),
        None => Ok(ServerName::IpAddress(ip.into())),
    }
}

/// What went wrong in words an operator can act on, if `e` is (or wraps) a TLS error: an
/// untrusted server certificate, or the node refusing our client certificate. With TLS 1.3
/// the node judges the client certificate after the client has finished its handshake, so
/// that refusal arrives as an alert on the first read, wrapped in an I/O error.
pub fn explain(e: &(dyn std::error::Error + 'static)) -> Option<String> {
    let mut cur = Some(e);
    while let Some(err) = cur {
        if let Some(tls) = err.downcast_ref::<rustls::Error>() {
            return Some(describe(tls));
        }
        if let Some(tls) = as_io(err)
            .and_then(|io| io.get_ref())
            .and_then(|inner| inner.downcast_ref::<rustls::Error>())
        {
            return Some(describe(tls));
        }
        cur = err.source();
    }
    None
}

/// `err` as an I/O error, also when it is one behind an `Arc` (redis-rs keeps I/O errors as
/// `Arc<dyn Error + Send + Sync>` and hands that out as the source).
fn as_io<'a>(err: &'a (dyn std::error::Error + 'static)) -> Option<&'a std::io::Error> {
    err.downcast_ref::<std::io::Error>().or_else(|| {
        err.downcast_ref::<Arc<dyn std::error::Error + Send + Sync>>()
            .and_then(|inner| inner.downcast_ref::<std::io::Error>())
    })
}

fn describe(e: &rustls::Error) -> String {
    use rustls::AlertDescription as A;
    match e {
        rustls::Error::AlertReceived(A::CertificateRequired) => {
            format!("the node requires a client certificate, give --cert and --key ({e})")
        }
        rustls::Error::AlertReceived(
            A::UnknownCA
            | A::BadCertificate
            | A::CertificateUnknown
            | A::UnsupportedCertificate
            | A::CertificateExpired
            | A::CertificateRevoked
            | A::AccessDenied,
        ) => format!("the node refused the client certificate given with --cert ({e})"),
        rustls::Error::InvalidCertificate(_) => format!(
            "the node's certificate is not trusted ({e}); give its CA with --cacert, the name it was issued for with --sni, or --insecure to skip verification"
        ),
        _ => e.to_string(),
    }
}

/// A verifier accepting any server certificate (still checking handshake signatures), for
/// `--insecure` and kubeconfig's `insecure-skip-tls-verify`.
pub(crate) fn accept_any_cert(provider: Arc<CryptoProvider>) -> Arc<dyn ServerCertVerifier> {
    Arc::new(AcceptAnyCert(provider))
}

/// `--insecure`: accepts any certificate but still checks handshake signatures.
#[derive(Debug)]
struct AcceptAnyCert(Arc<CryptoProvider>);

impl ServerCertVerifier for AcceptAnyCert {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn io(e: rustls::Error) -> std::io::Error {
        std::io::Error::new(std::io::ErrorKind::InvalidData, e)
    }

    #[test]
    fn explains_a_refused_client_certificate_behind_a_redis_error() {
        let unknown_ca = rustls::Error::AlertReceived(rustls::AlertDescription::UnknownCA);
        let e = redis::RedisError::from(io(unknown_ca));
        let why = explain(&e).unwrap();
        assert!(why.contains("refused the client certificate"), "{why}");
        assert!(why.contains("UnknownCA"), "{why}");

        let required = rustls::Error::AlertReceived(rustls::AlertDescription::CertificateRequired);
        let why = explain(&io(required)).unwrap();
        assert!(why.contains("requires a client certificate"), "{why}");
    }

    #[test]
    fn explains_an_untrusted_server_certificate() {
        let e = io(rustls::Error::InvalidCertificate(
            rustls::CertificateError::UnknownIssuer,
        ));
        let why = explain(&e).unwrap();
        assert!(
            why.contains("--cacert") && why.contains("--insecure"),
            "{why}"
        );
    }

    #[test]
    fn other_errors_are_not_tls_errors() {
        let refused = std::io::Error::from(std::io::ErrorKind::ConnectionRefused);
        assert_eq!(explain(&refused), None);
        assert_eq!(explain(&redis::RedisError::from(refused)), None);
    }
}
