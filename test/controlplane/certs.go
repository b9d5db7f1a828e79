package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"time"
)

type certPaths struct {
	caCert, servingCert, servingKey, adminCert, adminKey, kubeletCert, kubeletKey, saKey string
}

type keyPair struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
}

// writeCertificates creates one throwaway CA that signs the apiserver's serving certificate,
// the admin client certificate (group system:masters) and the fake kubelet's serving
// certificate, plus an RSA key that signs ServiceAccount tokens. Valid for a week, like envtest.
func writeCertificates(dir string) (certPaths, error) {
	d := filepath.Join(dir, "pki")
	p := certPaths{
		caCert:      filepath.Join(d, "ca.crt"),
		servingCert: filepath.Join(d, "apiserver.crt"), servingKey: filepath.Join(d, "apiserver.key"),
		adminCert: filepath.Join(d, "admin.crt"), adminKey: filepath.Join(d, "admin.key"),
		kubeletCert: filepath.Join(d, "kubelet.crt"), kubeletKey: filepath.Join(d, "kubelet.key"),
		saKey: filepath.Join(d, "sa.key"),
	}
	if err := os.MkdirAll(d, 0o700); err != nil {
		return p, err
	}
	ca, err := issue(nil, &x509.Certificate{
		Subject:               pkix.Name{CommonName: "icsp-bot-test-ca"},
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
	})
	if err != nil {
		return p, err
	}
	loopback := []net.IP{net.ParseIP("127.0.0.1")}
	leaves := []struct {
		tmpl            *x509.Certificate
		certOut, keyOut string
	}{
		{&x509.Certificate{
			Subject:     pkix.Name{CommonName: "kube-apiserver"},
			DNSNames:    []string{"localhost", "kubernetes", "kubernetes.default", "kubernetes.default.svc"},
			IPAddresses: append(loopback, net.ParseIP("10.0.0.1")),
			ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		}, p.servingCert, p.servingKey},
		{&x509.Certificate{
			Subject:     pkix.Name{CommonName: "icsp-test-admin", Organization: []string{"system:masters"}},
			ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
		}, p.adminCert, p.adminKey},
		{&x509.Certificate{
			Subject:     pkix.Name{CommonName: "fake-kubelet"},
			DNSNames:    []string{"localhost"},
			IPAddresses: loopback,
			ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		}, p.kubeletCert, p.kubeletKey},
	}
	for _, l := range leaves {
		l.tmpl.KeyUsage = x509.KeyUsageDigitalSignature
		kp, err := issue(ca, l.tmpl)
		if err != nil {
			return p, err
		}
		if err := writePair(kp, l.certOut, l.keyOut); err != nil {
			return p, err
		}
	}
	if err := writePEM(p.caCert, "CERTIFICATE", ca.cert.Raw); err != nil {
		return p, err
	}
	saKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return p, err
	}
	return p, writePEM(p.saKey, "RSA PRIVATE KEY", x509.MarshalPKCS1PrivateKey(saKey))
}

func issue(parent *keyPair, tmpl *x509.Certificate) (*keyPair, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 62))
	if err != nil {
		return nil, err
	}
	tmpl.SerialNumber = serial
	tmpl.NotBefore = time.Now().Add(-time.Hour)
	tmpl.NotAfter = time.Now().Add(7 * 24 * time.Hour)
	signerCert, signerKey := tmpl, key
	if parent != nil {
		signerCert, signerKey = parent.cert, parent.key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, signerCert, &key.PublicKey, signerKey)
	if err != nil {
		return nil, err
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, err
	}
	return &keyPair{cert: cert, key: key}, nil
}

func writePair(kp *keyPair, certOut, keyOut string) error {
	if err := writePEM(certOut, "CERTIFICATE", kp.cert.Raw); err != nil {
		return err
	}
	der, err := x509.MarshalECPrivateKey(kp.key)
	if err != nil {
		return err
	}
	return writePEM(keyOut, "EC PRIVATE KEY", der)
}

func writePEM(path, typ string, der []byte) error {
	return os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600)
}
