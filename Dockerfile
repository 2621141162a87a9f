# Tapeline image: one jar, run as agent, processor or sink (see docker-compose.yml).
FROM maven:3.9-eclipse-temurin-17 AS build
WORKDIR /src
COPY . .
RUN mvn -B -q -DskipTests package

FROM eclipse-temurin:17-jre
# curl for the health checks (/health/ready)
RUN apt-get update && apt-get install -y --no-install-recommends curl && rm -rf /var/lib/apt/lists/*
COPY --from=build /src/tapeline-app/target/tapeline.jar /opt/tapeline/tapeline.jar
WORKDIR /var/lib/tapeline
ENTRYPOINT ["java", "-jar", "/opt/tapeline/tapeline.jar"]
CMD ["--help"]
