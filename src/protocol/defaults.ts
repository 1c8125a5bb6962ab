/** Protocol-wide constants. */

/** upsd's TCP port (IANA-assigned to NUT; RFC 9271). */
export const NUT_DEFAULT_PORT = 3493;
