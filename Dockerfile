# icsp-bot: Node 24 LTS on Red Hat UBI 9 minimal. Production dependencies only, non-root numeric UID, works
# with a read-only root filesystem (nothing is written outside /tmp, which the Deployment mounts as emptyDir).
# Build: the same commands as the README: `npm ci` (here with --omit=dev), then the sources run as they are
# (Node 24 strips TypeScript types at load time; there is no compile step).

# The base can be swapped (BASE_IMAGE) for a mirrored copy, or for the stand-in the image test builds offline.
ARG BASE_IMAGE=registry.access.redhat.com/ubi9/nodejs-24-minimal

FROM ${BASE_IMAGE} AS deps
WORKDIR /opt/app-root/src
COPY --chown=1001:0 package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

FROM ${BASE_IMAGE}
ARG VERSION=0.1.0
ARG REVISION=unknown
LABEL org.opencontainers.image.title="icsp-bot" \
      org.opencontainers.image.description="Tells OpenShift on-call engineers why a node pulls an image from where it does (ICSP/IDMS/ITMS), in Slack and on the CLI" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.base.name="registry.access.redhat.com/ubi9/nodejs-24-minimal"
WORKDIR /opt/app-root/src
COPY --from=deps /opt/app-root/src/node_modules ./node_modules
COPY package.json ./
COPY bin ./bin
COPY src ./src
COPY examples ./examples
ENV NODE_ENV=production
USER 1001
EXPOSE 3000 8080
# The bot; `node bin/icsp.js ...` runs the CLI from the same image.
ENTRYPOINT ["node"]
CMD ["src/main.ts"]
