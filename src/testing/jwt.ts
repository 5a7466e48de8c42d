/**
 * An unsigned JWT (`alg: none`, RFC 7519 section 6) carrying `claims`: what the testing kit hands
 * the session. The client only ever decodes a token (with jwt-decode), so a signature would prove
 * nothing here; the fake server checks tokens by looking them up.
 */
export function unsignedJwt(claims: object): string {
  const part = (value: object) => {
    const bytes = new TextEncoder().encode(JSON.stringify(value))
    let binary = ''
    for (const byte of bytes) binary += String.fromCharCode(byte)
    // base64url without padding (RFC 7515 section 2).
    return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '')
  }
  return `${part({ alg: 'none', typ: 'JWT' })}.${part(claims)}.`
}
