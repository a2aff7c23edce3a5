import { describe, expect, it } from "vitest";
import {
  type AwsClients,
  createAwsClients,
  isLocalEndpoint,
  resolveEndpoints,
} from "../../../functions/aws/clients";

function destroy(clients: AwsClients): void {
  clients.s3.destroy();
  clients.dynamodb.destroy();
  clients.secretsManager.destroy();
}

async function endpointOf(client: AwsClients[keyof AwsClients]): Promise<string | undefined> {
  const provider = client.config.endpoint;
  if (provider === undefined) return undefined;
  const endpoint = await provider();
  return `${endpoint.protocol}//${endpoint.hostname}${endpoint.port === undefined ? "" : `:${endpoint.port}`}`;
}

describe("resolveEndpoints", () => {
  it("prefers each service's variable over AWS_ENDPOINT_URL", () => {
    // Act
    const endpoints = resolveEndpoints({
      AWS_ENDPOINT_URL: "http://127.0.0.1:4000",
      AWS_ENDPOINT_URL_S3: "http://127.0.0.1:4001",
      AWS_ENDPOINT_URL_SECRETS_MANAGER: " ",
    });

    // Assess
    expect(endpoints).toEqual({
      s3: "http://127.0.0.1:4001",
      dynamodb: "http://127.0.0.1:4000",
      secretsManager: "http://127.0.0.1:4000",
    });
  });

  it("leaves every endpoint to the SDK when no variable is set", () => {
    // Act
    const endpoints = resolveEndpoints({ AWS_REGION: "eu-west-1" });

    // Assess
    expect(endpoints).toEqual({});
  });
});

describe("isLocalEndpoint", () => {
  it("recognises loopback hosts only", () => {
    // Act
    const verdicts = [
      "http://127.0.0.1:4566",
      "http://localhost:8000",
      "http://s3.localhost:9000",
      "http://[::1]:8000",
      "https://s3.eu-west-1.amazonaws.com",
      "http://10.0.0.5:9000",
      "not a url",
    ].map(isLocalEndpoint);

    // Assess
    expect(verdicts).toEqual([true, true, true, true, false, false, false]);
  });
});

describe("createAwsClients", () => {
  it("applies the s3rver compatibility settings for a local S3 endpoint", async () => {
    // Prepare
    const clients = createAwsClients({
      endpoints: { s3: "http://127.0.0.1:4568" },
      credentials: { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" },
      env: {},
    });

    try {
      // Act
      const config = clients.s3.config;
      const settings = {
        forcePathStyle: config.forcePathStyle,
        requestChecksumCalculation: await config.requestChecksumCalculation(),
        responseChecksumValidation: await config.responseChecksumValidation(),
        region: await config.region(),
        endpoint: await endpointOf(clients.s3),
      };

      // Assess
      expect(settings).toEqual({
        forcePathStyle: true,
        requestChecksumCalculation: "WHEN_REQUIRED",
        responseChecksumValidation: "WHEN_REQUIRED",
        region: "us-east-1",
        endpoint: "http://127.0.0.1:4568",
      });
    } finally {
      destroy(clients);
    }
  });

  it("keeps the SDK's defaults for AWS itself and takes endpoints from the environment", async () => {
    // Prepare
    const clients = createAwsClients({
      region: "eu-west-1",
      env: { AWS_ENDPOINT_URL_DYNAMODB: "http://localhost:8000" },
    });

    try {
      // Act
      const s3 = {
        forcePathStyle: clients.s3.config.forcePathStyle ?? false,
        requestChecksumCalculation: await clients.s3.config.requestChecksumCalculation(),
      };
      const dynamodb = await endpointOf(clients.dynamodb);
      const region = await clients.secretsManager.config.region();

      // Assess
      expect(s3).toEqual({ forcePathStyle: false, requestChecksumCalculation: "WHEN_SUPPORTED" });
      expect(dynamodb).toBe("http://localhost:8000");
      expect(region).toBe("eu-west-1");
    } finally {
      destroy(clients);
    }
  });

  it("lets explicit endpoints win over the environment", async () => {
    // Prepare
    const clients = createAwsClients({
      endpoints: { secretsManager: "http://127.0.0.1:5000" },
      env: { AWS_ENDPOINT_URL: "http://127.0.0.1:4000", AWS_REGION: "ap-southeast-2" },
    });

    try {
      // Act
      const endpoints = await Promise.all([endpointOf(clients.secretsManager), endpointOf(clients.dynamodb)]);
      const region = await clients.dynamodb.config.region();

      // Assess
      expect(endpoints).toEqual(["http://127.0.0.1:5000", "http://127.0.0.1:4000"]);
      expect(region).toBe("ap-southeast-2");
    } finally {
      destroy(clients);
    }
  });
});
