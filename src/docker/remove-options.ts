/**
 * How every container Slipway removes is removed: forced (a running one is killed), and with its
 * anonymous volumes (an image's `VOLUME /data`), which would otherwise stay behind as dangling
 * volumes, one per container, for ever. Named volumes are never removed this way.
 */
export const removeWithVolumes = { force: true, v: true } as const;
