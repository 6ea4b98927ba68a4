/** The API's version, as the OpenAPI document and the CLI's --version report it. */
export const apiVersion = '0.1.0';
