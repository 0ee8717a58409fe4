import { freePortNumber } from '../../runtime/temporal-server';

/** A TCP port free on loopback right now. */
export const freePort = freePortNumber;
