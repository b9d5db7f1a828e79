# icsp-bot runtime image: Node 24 LTS on UBI 9 minimal, production dependencies only, non-root, read-only root FS.
FROM registry.access.redhat.com/ubi9/nodejs-24-minimal AS deps
WORKDIR /opt/app-root/src
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund

FROM registry.access.redhat.com/ubi9/nodejs-24-minimal
LABEL org.opencontainers.image.title="icsp-bot" \
      org.opencontainers.image.description="Why an OpenShift node pulls an image from where it does (ICSP/IDMS/ITMS)" \
      org.opencontainers.image.licenses="Apache-2.0"
WORKDIR /opt/app-root/src
COPY --from=deps /opt/app-root/src/node_modules ./node_modules
COPY package.json ./
COPY bin ./bin
COPY src ./src
COPY examples ./examples
USER 1001
ENTRYPOINT ["node", "bin/icsp.js"]
CMD ["help"]
